"""Answer stage: retrieval, cited answers, the LangChain chain and the LLM."""
