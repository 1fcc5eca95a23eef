"""The redaction corpus: planted secrets (:mod:`.planted`) and ordinary agent text."""
