"""`khitab batch` with faults injected from outside the product, for the resume tests:

    python -m tests.inference.killable_batch batch IN -o OUT ...

KILL_AT (env): SIGKILL at a named point: ``part:N`` after chunk N is scored but before it is
written, ``chunk:N`` right after chunk N is in the manifest, ``finish`` before the final
concatenation, ``output`` after the output is renamed into place but before the errors file.
CHUNK_DELAY (env): seconds slept after each written chunk, so a run lasts long enough to be
killed from outside. Both patch ``ChunkStore``, the runner's only writer.
"""
import os
import signal
import sys
import time

from khitab.inference.writers import ChunkStore


def kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install(kill_at: str, delay: float) -> None:
    write_chunk, finish = ChunkStore.write_chunk, ChunkStore.finish

    def write_chunk_then(self, index, *args, **kwargs):
        if kill_at == f"part:{index}":
            kill()
        write_chunk(self, index, *args, **kwargs)
        if kill_at == f"chunk:{index}":
            kill()
        if delay:
            time.sleep(delay)

    def finish_then(self, n_chunks, checkpoint=lambda stage: None):
        if kill_at == "finish":
            kill()
        finish(self, n_chunks, checkpoint=lambda stage: kill() if stage == kill_at else checkpoint(stage))

    ChunkStore.write_chunk, ChunkStore.finish = write_chunk_then, finish_then


if __name__ == "__main__":
    install(os.environ.get("KILL_AT", ""), float(os.environ.get("CHUNK_DELAY", "0") or 0))
    from khitab.cli import main

    sys.argv[0] = "khitab"
    main()
