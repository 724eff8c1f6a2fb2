"""Speech-Driven Animation (Vougioukas et al.): a re-implementation that loads the published `.dat`
models (grid/timit/crema) and computes what the original `sda` package computes."""
from .model import SdaNetworks, SdaModel, draw_noise
from .checkpoint import SdaMeta, numpy_allow_list, read_sda_file
from .windows import cut_windows, frame_count

__all__ = ["SdaModel", "SdaNetworks", "SdaMeta", "read_sda_file", "numpy_allow_list", "cut_windows",
           "frame_count", "draw_noise"]
