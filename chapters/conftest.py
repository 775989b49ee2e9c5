"""nbval settings for the chapter notebooks: a checked cell's stderr is not compared.

numba can warn on stderr while it compiles a kernel into an empty cache and stay silent when it
loads the kernel from a warm one, so the same cell's stderr differs between a first and a second
run. The numbers the prose quotes are printed to stdout, which nbval still compares exactly.
"""

import nbval.plugin

_coalesce_streams = nbval.plugin.coalesce_streams


def _coalesce_streams_without_stderr(outputs):
    kept = [out for out in outputs if not (out.output_type == "stream" and out.name == "stderr")]
    return _coalesce_streams(kept)


nbval.plugin.coalesce_streams = _coalesce_streams_without_stderr
