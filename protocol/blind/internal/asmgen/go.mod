module github.com/blindjoin/blindjoin/protocol/blind/internal/asmgen

go 1.26.0
