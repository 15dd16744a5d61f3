"""The real-text corpus: items drawn from the public datasets in ``shared/data/external``, labeled
here by independent annotators under the guidelines. Only ids, votes and gold labels are committed
(``data/real/``); the texts are rebuilt from the external datasets at run time."""
