"""English language resources, as data: function words, question words, number words.

Every rule that needs to know English words reads them from here (lexical analysis, names, figures,
question kinds); Korean resources live in `qa/text/korean.py`. Nothing here is about a particular corpus.

Example:
    >>> "the" in FUNCTION_WORDS, NUMBER_WORDS["seven"], ORDINAL_WORDS["third"]
    (True, 7, 3)
"""
from __future__ import annotations

# English function words, question words included: they carry no topic in a question (BM25 drops them).
FUNCTION_WORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can cannot could couldn did didn do does doesn doing don down during each either else
ever every few for from further get got had hadn has hasn have haven having he her here hers herself him
himself his how however i if in into is isn it its itself just let ll me might more most much must mustn my
myself neither no nor not now of off on once only or other ought our ours ourselves out over own per quite
rather re same shall shan she should shouldn so some such than that the their theirs them themselves then
there these they this those through thus to too under until up upon us ve very via was wasn we were weren
what whatever when where whether which while who whom whose why will with within without won would wouldn
yet you your yours yourself yourselves
""".split())

# Articles: an answer phrase takes the one its source writes before it ("the Vatican").
ARTICLES = ("the", "a", "an")

# Auxiliary verbs: a question that starts with one asks yes or no ("Is it safe?", "Does it leak?").
AUXILIARY_VERBS = frozenset("""
am is are was were do does did have has had can could will would shall should may might must
""".split())
# Words that ask for several things at once ("in 2018 and 2019 respectively").
LISTING_WORDS = frozenset({"respectively", "respective"})
# Word endings of a plural noun that are not one ("class", "bonus", "analysis", "this").
NOT_PLURAL_ENDINGS = ("ss", "us", "is", "ys")
YES_WORDS = frozenset({"yes", "yeah", "true", "correct"})
NO_WORDS = frozenset({"no", "not", "false", "never"})

# Words that qualify a figure and belong with it ("over 60%", "about 4,000", "more than 10 million").
FIGURE_QUALIFIERS = ("more than", "less than", "fewer than", "at least", "at most", "up to", "over", "under",
                     "about", "around", "approximately", "nearly", "almost", "roughly", "some", "just over",
                     "just under")

# Words that are capitalized at the start of a sentence or question without being names.
NOT_NAMES = frozenset("""
the a an it its this that these those they there yes no in on at by for of and or as he she we i to with from
answer how what which who whom whose where when why does do did is are was were can could should would will
has have had under after before according besides also both but if so than then
""".split())

# The words a question (or the second question of a two-part one) starts with.
QUESTION_WORDS = frozenset({"what", "what's", "which", "who", "whom", "whose", "where", "when", "why", "how"})
# Verbs that ask as a question does when they open a request ("Tell me the price and explain the fee").
ASKING_VERBS = frozenset({"tell", "give", "show", "explain", "describe", "summarize", "summarise", "list", "name"})
# Words that open a request without naming anything ("Please tell me ...", "Tell me ...").
REQUEST_OPENERS = frozenset({"please", "tell"})
# Words that join a second question on after the first one ends ("...? Besides that, is there...").
SECOND_QUESTION_JOINERS = ("and", "also", "plus", "besides that", "in addition")

# Pronouns a follow-up question leans on: a person or thing, a possessive, several (they agree with a plural).
PERSONAL_PRONOUNS = frozenset({"it", "they", "them", "he", "she", "him"})
POSSESSIVE_PRONOUNS = frozenset({"its", "their", "his", "her"})
PLURAL_PRONOUNS = frozenset({"they", "them", "their"})

# Lower-case words inside a name, between two capitalized words ("Gulf of Bothnia", "Leonardo da Vinci").
NAME_CONNECTIVES = frozenset({"of", "de", "da", "di", "del", "della", "du", "von", "van", "der", "la", "le"})

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
ORDINAL_WORDS = {w: i for i, w in enumerate(
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()) if i}
# Currency words written after an amount ("240 billion won", "5 USD").
CURRENCY_WORDS = frozenset({"won", "dollar", "dollars", "usd", "krw", "euro", "euros", "eur", "yen", "jpy", "yuan", "cny",
                            "rupees", "gbp", "cad", "aud"})
SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")

# Abbreviations whose full stop does not end a sentence ("Dr. Kim", "e.g. this").
ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "prof", "inc", "ltd", "co", "corp", "jr", "sr", "st", "vs", "etc",
                           "e.g", "i.e", "approx", "no", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
                           "sep", "sept", "oct", "nov", "dec", "gov", "dept", "est"})

# The Hangul syllables block, as a regular-expression range (one home for every Hangul rule).
HANGUL_SYLLABLES = "\uac00-\ud7a3"
