# JupyterLab settings for this repository, passed by `make lab` (jupyter lab --config=this file).
# Notebooks saved inside the repository's notebook folders are written without outputs: the outputs of
# the curated notebooks hold practice data (the morning huddle lists patients by name) and must never
# reach git. The outputs stay on screen; save a copy outside the repository to keep them.
from pathlib import Path

from odnb.lab import output_stripping_hook

_repo = Path(__file__).resolve().parent.parent
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.FileContentsManager.pre_save_hook = output_stripping_hook(_repo / "odnb" / "notebooks",
                                                            _repo / "tests" / "notebooks")
