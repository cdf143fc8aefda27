"""The LLM client: the OpenAI-compatible chat model, fault handling (retries, timeouts) and prompts."""
