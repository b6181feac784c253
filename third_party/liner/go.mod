module github.com/peterh/liner

go 1.26.0

require (
	github.com/mattn/go-runewidth v0.0.31
	golang.org/x/sys v0.48.0
)

require github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
