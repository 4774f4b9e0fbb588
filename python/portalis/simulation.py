"""``portalis.Simulation``: a USD scene's Wasm modules run frame by frame
(the host of docs/host.md)."""
from ._portalis import _Simulation


class Simulation(_Simulation):
    """``Simulation(scene, fps=0, threads=1, realtime=False, budget_ms=100,
    fuel=0, max_memory_mb=0, tier=None, record=True, module_path=None)``
    opens the scene, loads its modules and builds the frame graph.

    ``run(frames, progress=callback)`` runs frames (``callback(done,
    total)`` after each; an exception in it, or Ctrl-C, stops the run);
    ``step()`` runs one; ``get_value(prim, attr)`` reads a module's input or
    output; ``report()`` and ``modules()`` give dicts; ``save(path)`` writes
    the recorded time samples. The GIL is released while frames run.
    """

    def __init__(self, scene, **options):
        super().__init__(str(scene), **options)
        self.scene = str(scene)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return f"<portalis.Simulation {self.scene!r} frame {self.frame}>"
