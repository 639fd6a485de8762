"""The Gradio chat front end (``python -m ui.app`` or ``rag chat``)."""
