package shuffle_test

import (
	"crypto/rand"
	"fmt"

	"github.com/blindjoin/blindjoin/protocol/shuffle"
)

// A party shuffles its rows before upload, then attaches results that come
// back by upload position to its own rows.
func Example() {
	rows := []string{"row-a", "row-b", "row-c", "row-d"}
	perm, err := shuffle.Permutation(rand.Reader, len(rows))
	if err != nil {
		panic(err)
	}
	uploaded := make([]string, len(rows))
	for i, p := range perm {
		uploaded[i] = rows[p]
	}

	// Say the clean room reports a match at upload position 2:
	// perm maps it back to the row.
	matched := 2
	fmt.Println(uploaded[matched] == rows[perm[matched]])
	// Output:
	// true
}
