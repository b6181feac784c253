"""asyncio_echo: a Python asyncio echo server for the tutorial's framing
(a 10-byte header: the payload length in ASCII decimal, left-aligned and
space-padded, f'{len(msg):<10}' + msg), to compare with netplay bench:

    python3 testdata/bench/asyncio_echo.py [host:]port     (host defaults to 127.0.0.1)
    netplay bench PORT

What a Python user would write: readexactly(10), int(header),
readexactly(n), write the reply, drain. asyncio sets TCP_NODELAY itself.
"""
import asyncio
import sys

HEADERSIZE = 10


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            header = await reader.readexactly(HEADERSIZE)
            msg = await reader.readexactly(int(header))  # ValueError on a bad header
            writer.write(f"{len(msg):<{HEADERSIZE}}".encode() + msg)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(addr: str) -> None:
    host, _, port = addr.rpartition(":")
    server = await asyncio.start_server(handle, host or "127.0.0.1", int(port), backlog=1024)
    print(f"asyncio_echo: listening on {host or '127.0.0.1'}:{port}", file=sys.stderr)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: asyncio_echo.py [host:]port")
    try:
        asyncio.run(main(sys.argv[1]))
    except KeyboardInterrupt:
        pass
