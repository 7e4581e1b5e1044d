"""One folder per compiler target: ``spirv`` (SYCL devices), ``cpu`` (the host back end)."""
