"""A TLS front for the simulated proxy: accepts TLS on 127.0.0.1 and passes
the bytes to a plain HTTP port. Writes its port to PORT_FILE, stops on
SIGTERM or after TTL seconds.

usage: tls_forward.py CERT KEY TARGET_PORT PORT_FILE TTL
"""
import asyncio
import os
import ssl
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        writer.close()


async def main(cert, key, target_port, port_file, ttl):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    with open(port_file + ".tmp", "w") as handle_file:
        handle_file.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    await asyncio.sleep(ttl)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])))
