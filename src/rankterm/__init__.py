"""rankterm: rapid pairwise ranking of LLM responses in the terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rankterm")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
