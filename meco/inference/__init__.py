"""Using a trained meco model: load a checkpoint, generate with a metadata prefix, evaluate the held-out
loss under three conditions, and export a Hugging Face Llama checkpoint. Only meco.cli imports this."""
