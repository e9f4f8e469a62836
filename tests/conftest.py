"""Shared pytest configuration: hypothesis profiles ``dev`` (default) and ``ci`` (more examples)."""

import os

from hypothesis import HealthCheck, settings

# deadline=None: the first call of a numba kernel includes its JIT compile time.
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
