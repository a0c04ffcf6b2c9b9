"""The lexical home of the rule-based reader (`hopqa.reader`), the decomposer (`hopqa.decompose`) and the condensed
hop (`hopqa.hops`): their shared, public vocabulary.

- `lexicon`: every word list, each documented with what it is for;
- `morphology`: the verb lexicon and word-form exceptions, `lemma`, `third_person`;
- `relations`: relations with their answer type and the words that state them, relation nouns, word expansions;
- `questions`: a question's expected answer type and head noun (`classify`, `answer_type`);
- `question_terms`, `spans`, `span_scores`: the reader's parsed question, candidate spans and their scores.

The tokeniser, stemmer and normaliser they share live in `hopqa.text` (`words`, `stem`, `word_stems`, `span_key`).
"""
