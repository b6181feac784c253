module netplay

go 1.26.8

require (
	github.com/yuin/gopher-lua v1.1.2
	go.uber.org/goleak v1.3.0
)
