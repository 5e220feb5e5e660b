"""Free TCP ports on 127.0.0.1 and waiting for a listener.

free_port() / free_ports(n) ask the kernel (bind to port 0) and release the ports at once, so a server started
right after can bind them; free_ports keeps all n bound until it has them, so they are distinct. There is a small
window in which another process could take a port: tests start their servers just after choosing.
"""
import socket
import time

HOST = "127.0.0.1"


def free_ports(n, host=HOST):
    """n distinct free TCP ports on host."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(host=HOST):
    return free_ports(1, host)[0]


def port_is_open(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host, port, timeout=10.0, interval=0.05):
    """True once something accepts TCP connections on host:port, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if port_is_open(host, port):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def wait_for_port_closed(host, port, timeout=10.0, interval=0.05):
    """True once nothing listens on host:port any more, False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if not port_is_open(host, port):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
