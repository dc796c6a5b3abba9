"""Length-prefixed pickles over a Unix stream socket, with descriptors alongside when asked: the
wire of the PDF workers (zygote) and of the build daemon. Reads take exactly one message, never
a byte of the next: both sides send several messages in a row on one socket."""
from __future__ import annotations

import os
import pickle
import socket
import struct

HEADER = struct.Struct("!Q")


def send(sock: socket.socket, obj, fds=()) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    message = HEADER.pack(len(data)) + data
    if fds:  # the descriptors travel with the first bytes
        message = message[socket.send_fds(sock, [message], list(fds)):]
    if message:
        sock.sendall(message)


def recv_exact(sock: socket.socket, size: int) -> bytes:
    parts, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def recv(sock: socket.socket, fds: int = 0) -> tuple:
    """(the next object, the descriptors sent with it: up to `fds` of them)."""
    head, received = b"", []
    if fds:
        head, received, _flags, _addr = socket.recv_fds(sock, HEADER.size, fds)
        if not head:
            raise EOFError
    try:
        head += recv_exact(sock, HEADER.size - len(head))
        (size,) = HEADER.unpack(head)
        return pickle.loads(recv_exact(sock, size)), received
    except BaseException:
        for fd in received:
            os.close(fd)
        raise
