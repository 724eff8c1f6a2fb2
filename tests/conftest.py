"""Shared test fixtures: paths to the golden data beside the repo and small real inputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"golden fixtures not found at {FIXTURES}: the repo must sit beside ../shared")
    return FIXTURES


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """A real public-domain portrait (NASA, shipped in scikit-image): 512x512 RGB uint8."""
    import skimage.data
    return skimage.data.astronaut()


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models are all per-op overhead; on a busy 2-core CPU torch's thread pool makes them ~20x
    slower. One thread for the module, the old count restored after."""
    import torch
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def sda_case(fixtures_dir) -> dict:
    """The SDA golden case: inputs and every intermediate of the original on the tiny model."""
    with np.load(fixtures_dir / "sda" / "case-tiny.npz") as npz:
        return {k: npz[k] for k in npz.files}


@pytest.fixture(scope="module")
def sda_va(fixtures_dir):
    """The tiny SDA fixture model, loaded."""
    from modules.sda import SdaModel
    return SdaModel(fixtures_dir / "sda" / "tiny.dat", device="cpu")


@pytest.fixture(scope="module")
def fom_clip(fixtures_dir):
    """The tiny FOM fixture's source and 11 driving frames (the golden clip there and back) as uint8 images."""
    import numpy as np
    case = np.load(fixtures_dir / "fom" / "case-tiny.npz")
    to_u8 = lambda a: (np.clip(a, 0, 1) * 255).round().astype(np.uint8)  # noqa: E731
    source = to_u8(case["source"][0].transpose(1, 2, 0))
    frames = [to_u8(case["driving"][0, :, t].transpose(1, 2, 0)) for t in range(case["driving"].shape[2])]
    return source, frames + frames[-2::-1]


@pytest.fixture(scope="module")
def fom_tiny(fixtures_dir) -> tuple[Path, Path]:
    """(config, checkpoint) of the tiny FOM fixture."""
    d = fixtures_dir / "fom"
    return d / "tiny-256.yaml", d / "tiny-cpk.pth.tar"


def pytest_configure(config):
    """Speakers without a voice get espeak defaults in the suite (neural defaults make every render ~1000x
    slower to speak); tests/test_kokoro_voice.py and test_default_voices.py check the neural defaults with
    this unset.

    Under pytest-xdist the workers already fill the cores: one compute thread per worker (and for the
    CLI processes the tests start), else torch's and MediaPipe's thread pools fight over 2 cores (a
    2-second test measured 46 s that way)."""
    import os
    os.environ.setdefault("DEEPSTORY_DEFAULT_VOICES", "espeak")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        threads = str(max(1, (os.cpu_count() or 1) // workers))
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = threads
        import torch
        torch.set_num_threads(int(threads))


# -- the studio in a real browser (tests/test_web_*.py): a served app and Debian's headless Chromium
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture
def server(tmp_path):
    import threading
    from werkzeug.serving import make_server
    from webapp import make_app
    app = make_app(tmp_path, SEED_DEMO=False)
    srv = make_server("127.0.0.1", 0, app, threaded=True)        # port 0: a free port
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


@pytest.fixture
def browser():
    import shutil
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian chromium is not installed: run WITH_BROWSER=1 bash scripts/install.sh")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=BROWSER_ARGS)
        yield b
        b.close()


