package wire_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// The tiny part of protocol/SPEC.md ("Example"): two blinded records,
// the ristretto255 generator B and 2B, with three attribute bits.
func Example() {
	b, _ := hex.DecodeString("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
	b2, _ := hex.DecodeString("6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919")
	h := wire.Header{
		Kind:    wire.KindBlinded,
		Final:   true,
		Session: [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		Attrs: []wire.Attr{
			{Kind: wire.AttrPurposeConsent, Value: 7},
			{Kind: wire.AttrPurposeLI, Value: 7},
			{Kind: wire.AttrSegment, Value: 0},
		},
	}
	var part bytes.Buffer
	w, err := wire.NewWriter(&part, h)
	if err != nil {
		panic(err)
	}
	rec := make([]byte, h.RecordSize())
	for _, r := range []struct {
		element []byte
		bits    uint64
	}{{b, 0b101}, {b2, 0b010}} {
		copy(rec, r.element)
		wire.PackAttrs(rec[wire.ElementSize:], r.bits, len(h.Attrs))
		if err := w.WriteRecord(rec); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Print(hex.Dump(part.Bytes()))

	rd, err := wire.NewReader(&part)
	if err != nil {
		panic(err)
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err) // discard everything staged so far
		}
		fmt.Printf("element %x... bits %03b\n", rec[:4], wire.UnpackAttrs(rec[wire.ElementSize:]))
	}
	fmt.Printf("%d records, digest %x\n", rd.Records(), rd.Digest())
	// Output:
	// 00000000  42 4a 50 31 01 01 01 01  00 01 02 03 04 05 06 07  |BJP1............|
	// 00000010  08 09 0a 0b 0c 0d 0e 0f  00 00 00 00 00 00 00 00  |................|
	// 00000020  00 00 00 00 03 01 07 02  07 04 00 00 00 00 02 e2  |................|
	// 00000030  f2 ae 0a 6a bc 4e 71 a8  84 a9 61 c5 00 51 5f 58  |...j.Nq...a..Q_X|
	// 00000040  e3 0b 6a a5 82 dd 8d b6  a6 59 45 e0 8d 2d 76 05  |..j......YE..-v.|
	// 00000050  6a 49 32 10 f7 49 9c d1  7f ec b5 10 ae 0c ea 23  |jI2..I.........#|
	// 00000060  a1 10 e8 d5 b9 01 f8 ac  ad d3 09 5c 73 a3 b9 19  |...........\s...|
	// 00000070  02 00 00 00 00 00 00 00  00 00 00 00 02 83 5f a3  |.............._.|
	// 00000080  68 2f ae 71 49 7f 8c 65  04 40 d0 6f 4c 6e 0f 91  |h/.qI..e.@.oLn..|
	// 00000090  d3 df 0c 72 69 9d 85 73  b4 fc 7c 6b e8           |...ri..s..|k.|
	// element e2f2ae0a... bits 101
	// element 6a493210... bits 010
	// 2 records, digest 835fa3682fae71497f8c650440d06f4c6e0f91d3df0c72699d8573b4fc7c6be8
}
