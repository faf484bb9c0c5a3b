"""Node orchestration for the Inference Engine appliance: config, rendering, processes, CLI."""
