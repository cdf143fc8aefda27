"""Child process for ``--engine local``: xllamacpp's llama.cpp server on 127.0.0.1 (``python -m agent.llm.local_server``).

Run by :class:`agent.llm.local.LocalServer`; it exits by itself when its parent dies (a watchdog polls the parent
pid), so a ``kill -9`` of mockint never leaves a model server behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent.llm.local_server")
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model
    params.n_ctx = args.ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.sampling.temp = 0.0
    server = xlc.Server(params)  # loads the model and starts listening; kept referenced below
    print(f"listening {server.listening_address}", flush=True)
    while os.getppid() == args.parent:  # re-parented: the session that started us is gone
        time.sleep(1.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
