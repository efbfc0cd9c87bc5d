"""Domain errors of the corpus stage; the CLI and UI turn them into one-line messages."""


class CorpusError(Exception):
    """A file that cannot become a document. The message names the file and the reason."""


class MissingFile(CorpusError):
    pass


class UnsupportedFormat(CorpusError):
    pass


class UndecodableFile(CorpusError):
    pass


class EmptyDocument(CorpusError):
    pass


class FileTooLarge(CorpusError):
    """Over a size limit: the file itself, or what it unpacks to (a zip bomb)."""


class TooManySentences(CorpusError):
    """More sentences than one document may have; the message names the setting that raises the limit."""


class PasswordProtected(UnsupportedFormat):
    """A PDF that needs a password to open."""
