"""Inspector: look at an LLM training set as a map, find the junk, label it, write filter lists."""

__version__ = "0.1.0"
