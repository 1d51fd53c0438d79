"""Waiting in tests: poll a condition until a deadline, never sleep a fixed time.

It imports nothing of the app, so the SMTP server (milestones.tests.smtp), which a
benchmark runs in a process without Django, can use it too."""

import time


def wait_until(condition, timeout, failure, processes=()):
    """Wait until condition() is true, polling; fail after `timeout` seconds, or as soon as
    one of `processes` (anything with .process, a Popen, and .output()) exits, with the end
    of their logs."""
    deadline = time.monotonic() + timeout
    while not condition():
        for process in processes:
            assert process.process.poll() is None, (
                f"a process exited with {process.process.returncode}:\n{process.output()[-5000:]}"
            )
        if time.monotonic() > deadline:
            logs = "\n".join(process.output()[-3000:] for process in processes)
            raise AssertionError(f"{failure} within {timeout} s\n{logs}".rstrip())
        time.sleep(0.05)
