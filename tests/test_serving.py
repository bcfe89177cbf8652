"""What the serving entry point does once the app is built."""

import gc
from pathlib import Path

from core.app import freeze_startup_objects


def test_start_up_objects_are_moved_out_of_the_collector_and_wsgi_does_it():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 10_000  # the modules, the test app, the mappers…
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
    source = (Path(__file__).parent.parent / "wsgi.py").read_text()
    assert source.index("create_app()") < source.index("freeze_startup_objects()")
