"""The web console for recall coordinators and QA, and the offline pages of the API explorers."""
