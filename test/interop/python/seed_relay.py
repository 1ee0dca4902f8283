#!/usr/bin/env python3
"""A relay that behaves on the wire like the seed's server.py, for the interop tests.

Like the seed's server: listen(2), one thread per accepted client, each thread loops recv(4096)
and sends every chunk as it is to every *other* client; it never decrypts. Two deliberate
differences, so that a test can rely on it: it listens on the given port (0: one the OS picks)
instead of 10101, and a recv() that returns no bytes (the client closed) removes the client —
the seed's server would spin on it forever. It reports on stdout, one JSON line each:

  {"event": "listening", "port": N}
  {"event": "joined", "clients": N}
  {"event": "relayed", "bytes": N, "to": K}          one recv(), broadcast to K others
  {"event": "left", "clients": N}

Usage: seed_relay.py [--host 127.0.0.1] [--port 0]. Stop it with a signal.
"""

import argparse
import json
import socket
import sys
import threading

clientes = []
_lock = threading.Lock()


def report(**fields):
    with _lock:
        sys.stdout.write(json.dumps(fields) + "\n")
        sys.stdout.flush()


def broadcast(msg, cliente):
    sent = 0
    for cliente_item in list(clientes):
        if cliente_item is not cliente:
            try:
                cliente_item.sendall(msg)
                sent += 1
            except OSError:
                delete_client(cliente_item)
    return sent


def delete_client(cliente):
    try:
        clientes.remove(cliente)
    except ValueError:
        return
    report(event="left", clients=len(clientes))


def messages_treatment(cliente):
    while True:
        try:
            msg = cliente.recv(4096)
        except OSError:
            msg = b""
        if not msg:
            delete_client(cliente)
            cliente.close()
            return
        report(event="relayed", bytes=len(msg), to=broadcast(msg, cliente))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen(2)
    report(event="listening", port=server.getsockname()[1])
    while True:
        cliente, _addr = server.accept()
        clientes.append(cliente)
        report(event="joined", clients=len(clientes))
        threading.Thread(target=messages_treatment, args=[cliente], daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
