"""Fixtures of the video tests."""

from __future__ import annotations

import pytest
from video_clips import FakePipeline


@pytest.fixture
def fake_pipeline() -> FakePipeline:
    return FakePipeline()
