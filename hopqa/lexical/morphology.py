"""Word forms: the exceptions to the decomposer's suffix tests (-ly, -ing, -ed, -est), the verb lexicon, and verb
morphology (`lemma`, `third_person`). General English; the hop also uses `IRREGULAR_VERBS` so that "Which museum
holds X?" meets "X is held by ..." (the stemmer alone cannot map "held" to "hold").
"""
from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words ending in -ly that are not adverbs ("family", "July").
LY_NOUNS = _words("family italy assembly supply ally rally monopoly anomaly july fly lily belly bully jelly holly "
                   "butterfly dragonfly firefly reply")
#: Words ending in -ing that are nouns, not participles ("building", "king").
ING_NOUNS = _words(
    "building wedding painting meeting beginning evening morning ceiling clothing darling earring offspring pudding "
    "railing setting stocking viking yearling sterling duckling sibling spring string herring lightning awning "
    "recording writing opening ending filling landing crossing housing funding timing marketing training wing king "
    "thing ring sing bring nothing something anything everything"
)
#: Words ending in -ed that are not verb forms ("hundred", "sacred").
ED_NON_VERBS = _words("hundred kindred sacred naked wicked beloved bed red shed sled seed need speed breed feed weed "
                       "creed greed steed reed deed tweed wed")
#: Superlatives (and "populous", as in "the most populous"): "the largest city in X" is a hop.
SUPERLATIVES = _words(
    "most least top best worst largest biggest smallest oldest youngest longest shortest highest lowest tallest "
    "richest poorest earliest latest greatest deepest fastest slowest nearest farthest furthest heaviest lightest "
    "busiest hottest coldest wettest driest strongest weakest widest narrowest brightest loudest finest cheapest "
    "costliest wealthiest populous"
)
#: Words ending in -est that are not superlatives ("west", "forest").
EST_NON_SUPERLATIVES = _words("west forest interest contest request nest guest chest protest test rest quest honest modest earnest "
                  "harvest priest arrest inquest conquest suggest manifest digest invest crest pest vest zest lest "
                  "attest detest southwest northwest midwest everest budapest bucharest")

#: Base forms of verbs (the decomposer's finite-verb and main-verb tests).
BASE_VERBS = _words(
    "be have do say get make go know take see come think look want give use find tell ask work seem feel try leave "
    "call keep let begin help show hear play run move like live believe hold bring happen write provide sit stand "
    "lose pay meet include continue set learn change lead understand watch follow stop create speak read allow add "
    "spend grow open walk win offer remember love consider appear buy wait serve die send expect build stay fall cut "
    "reach kill remain suggest raise pass sell require report decide pull return explain hope develop carry break "
    "receive agree support hit produce eat cover catch draw choose cause point listen realize place close involve "
    "increase form describe compose direct perform record sing marry divorce found establish join attend graduate "
    "retire rank occur last flow cross border share contain represent voice portray star feature release publish "
    "paint design invent discover translate teach train coach manage own operate control rule govern reign command "
    "fight flee escape emigrate immigrate settle visit travel arrive depart land fly sail belong consist refer "
    "compete participate debut premiere air broadcast adapt locate relocate convert practice practise worship "
    "adhere separate kill murder assassinate bury execute crown baptize succeed replace precede defeat beat conquer "
    "invade occupy annex capture acquire merge split rename adopt abolish introduce ban legalize reinstate restore "
    "gain achieve earn score finish qualify host launch found originate rise empty drain span elect appoint name "
    "mean owe nominate honor honour award sponsor fund finance declare proclaim recognize recognise oppose vote "
    "approve ratify sign veto intervene collapse expand decline dissolve end start enter exit surrender liberate "
    "colonize explore map sink arise emerge evolve inherit descend marry date flee cease resume open shut demolish "
    "renovate construct destroy manufacture distribute export import supply trade bear lie rise sing dance act "
    "film shoot edit draw print answer reply study sleep wake wear swim throw tear steal stick strike swear sweep "
    "swing undertake uphold withdraw dig feed forbid freeze hide lend light mistake overcome overthrow ring shine "
    "shrink slide spin spread sting bind breed burn cling creep dive dream drink forgive lay leap quit speed strive "
    "thrive sew sow prove mow stink spring wed see migrate inspire derive descend compare differ relate depict "
    "narrate illustrate sculpt found head chair coach captain house affect admit commit regard mention overlook "
    "surround encompass neighbor neighbour adjoin play sing sound turn seem become"
)
# Verbs whose -s form is far more often a plural noun ("awards", "records"): not taken as a finite verb.
NOUNISH_VERBS = _words(
    "award record film star house head chair captain coach place point name date map land trade supply fund honor "
    "honour feature report study return cover change rule control act dance print light ring spring sound turn "
    "answer reply export import drink dream speed mistake lay bear lie sow sew mow stink face work border share "
    "sign form end start need use book game title rank order state plant stage season source")
#: Verbs whose -s form is a finite verb.
S_VERBS = BASE_VERBS - NOUNISH_VERBS
#: Irregular verb forms -> base form ("held" -> "hold").
IRREGULAR_VERBS = {
    "was": "be", "were": "be", "is": "be", "are": "be", "been": "be", "am": "be", "had": "have", "has": "have",
    "did": "do", "does": "do", "done": "do", "made": "make", "wrote": "write", "written": "write", "won": "win",
    "came": "come", "became": "become", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "sang": "sing", "sung": "sing", "built": "build", "bought": "buy", "led": "lead", "left": "leave",
    "began": "begin", "begun": "begin", "ran": "run", "grew": "grow", "grown": "grow", "knew": "know",
    "known": "know", "saw": "see", "seen": "see", "said": "say", "sold": "sell", "told": "tell", "held": "hold",
    "fought": "fight", "taught": "teach", "thought": "think", "brought": "bring", "went": "go", "gone": "go",
    "met": "meet", "kept": "keep", "drew": "draw", "drawn": "draw", "chose": "choose", "chosen": "choose",
    "spoke": "speak", "spoken": "speak", "fell": "fall", "fallen": "fall", "flew": "fly", "flown": "fly",
    "drove": "drive", "driven": "drive", "rode": "ride", "ridden": "ride", "rose": "rise", "risen": "rise",
    "broke": "break", "broken": "break", "stood": "stand", "shot": "shoot", "struck": "strike", "got": "get",
    "gotten": "get", "paid": "pay", "lost": "lose", "sent": "send", "spent": "spend", "felt": "feel",
    "heard": "hear", "meant": "mean", "sat": "sit", "wore": "wear", "worn": "wear", "fled": "flee", "hung": "hang",
    "swam": "swim", "sank": "sink", "sunk": "sink", "threw": "throw", "thrown": "throw", "shook": "shake",
    "forgot": "forget", "forgotten": "forget", "lay": "lie", "lain": "lie", "slept": "sleep", "found": "find",
    "born": "bear", "borne": "bear", "bore": "bear", "beaten": "beat", "died": "die", "lied": "lie", "tied": "tie",
    "ate": "eat", "eaten": "eat", "sought": "seek", "caught": "catch", "dealt": "deal", "dug": "dig", "fed": "feed",
    "froze": "freeze", "frozen": "freeze", "hid": "hide", "hidden": "hide", "lent": "lend", "lit": "light",
    "overcame": "overcome", "overthrew": "overthrow", "overthrown": "overthrow", "rang": "ring", "rung": "ring",
    "shone": "shine", "shrank": "shrink", "slid": "slide", "spun": "spin", "stole": "steal", "stolen": "steal",
    "stuck": "stick", "swore": "swear", "sworn": "swear", "swept": "sweep", "swung": "swing", "tore": "tear",
    "torn": "tear", "understood": "understand", "undertook": "undertake", "undertaken": "undertake",
    "upheld": "uphold", "withdrew": "withdraw", "withdrawn": "withdraw", "bound": "bind", "bred": "breed",
    "burnt": "burn", "clung": "cling", "crept": "creep", "drank": "drink", "drunk": "drink", "forgave": "forgive",
    "forgiven": "forgive", "laid": "lay", "leapt": "leap", "learnt": "learn", "sped": "speed", "strove": "strive",
    "shown": "show", "sewn": "sew", "sown": "sow", "proven": "prove", "sprang": "spring", "sprung": "spring",
    "arose": "arise", "arisen": "arise", "woke": "wake", "woken": "wake", "dove": "dive", "stank": "stink",
}
#: Irregular forms that are only participles ("born", "written"): never a finite verb.
PARTICIPLE_ONLY = _words(
    "born borne known written taken given sung begun grown seen drawn chosen spoken fallen flown driven ridden risen "
    "broken gotten worn sunk thrown forgotten lain eaten frozen hidden overthrown rung stolen sworn torn undertaken "
    "withdrawn drunk shown sewn sown proven beaten gone been done forgiven sprung arisen woken"
)
#: Irregular forms that are as often nouns or bare forms ("set", "cut", "read"): not taken as finite.
NOT_FINITE_IRREGULAR = _words("lay bound lit set cut put hit read cast quit spread")
_E_IT = _words("unit invit cit recit ignit excit incit expedit writ")
_E_ET = _words("complet compet delet deplet")
_E_OR = _words("explor stor scor restor ignor ador implor deplor shor")
_E_ER = _words("interfer adher rever persever coher")
_E_OP = _words("hop scop elop cop")


def _restore_e(stem: str) -> str:
    """Guess the base form of a verb stem left after stripping -ed/-ing ("locat" -> "locate", "play" -> "play")."""
    if len(stem) < 2:
        return stem
    vowels = "aeiou"
    last, prev = stem[-1], stem[-2]
    prev2 = stem[-3] if len(stem) >= 3 else ""
    if stem in _E_IT or stem in _E_ET or stem in _E_OR or stem in _E_ER or stem in _E_OP:
        return stem + "e"
    if last in "vzcu":
        return stem + "e"
    if last == "s":
        return stem if prev == "s" else stem + "e"
    if last == "g":
        if prev in "rdl" or (prev in vowels and prev2 not in vowels) or stem.endswith("ang"):
            return stem + "e"
        return stem
    if last == "l":
        if prev not in vowels and prev != "l" and prev not in "rw":
            return stem + "e"
        if prev in "aiou" and prev2 and prev2 not in vowels:
            return stem + "e"
        return stem
    if last == "h":
        return stem + "e" if prev == "t" else stem
    if last == "t":
        if prev in "au" and prev2 not in vowels:
            return stem + "e"
        if prev == "o" and prev2 and prev2 not in vowels:
            return stem + "e"
        return stem
    if last == "d":
        if prev in "iuoa" and prev2 and prev2 not in vowels:
            return stem + "e"
        return stem
    if last in "rkmpb":
        if last == "r" and prev in "iua" and prev2 not in vowels:
            return stem + "e"
        if last in "kmpb" and prev in vowels and prev2 not in vowels and not (last == "p" and prev == "o"):
            return stem + "e"
        return stem
    if last == "n":
        if prev in "iu" and prev2 and prev2 not in vowels:
            return stem + "e"
        return stem
    return stem


def _undouble(stem: str) -> str:
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] in "bdgkmnprt" and stem not in ("add", "odd", "err"):
        return stem[:-1]
    return stem


def lemma(word: str) -> tuple[str, str]:
    """(base form, tense) of a verb form; tense is "past", "3sg", "ing" or "base"."""
    w = word.lower()
    if w in IRREGULAR_VERBS:
        base = IRREGULAR_VERBS[w]
        if w in ("is", "has", "does"):
            return base, "3sg"
        if w == "are":
            return base, "base"
        return base, "past"
    if w.endswith("ing") and len(w) > 5:
        stem = w[:-3]
        if stem.endswith("y") and len(stem) == 2:
            return stem[0] + "ie", "ing"  # dying, lying, tying
        if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] in "bdgkmnprt":
            return stem[:-1], "ing"
        return _restore_e(stem), "ing"
    if w.endswith("ed") and len(w) > 3:
        if w.endswith("ied") and len(w) > 4:
            return w[:-3] + "y", "past"
        if w.endswith("eed"):
            return w[:-1], "past"
        stem = w[:-2]
        undoubled = _undouble(stem)
        if undoubled != stem:
            return undoubled, "past"
        return _restore_e(stem), "past"
    if w.endswith("s") and not w.endswith("ss") and len(w) > 2:
        if w.endswith("ies") and len(w) > 4:
            return w[:-3] + "y", "3sg"
        if w.endswith(("sses", "shes", "ches", "xes", "zzes", "oes")):
            return w[:-2], "3sg"
        return w[:-1], "3sg"
    return w, "base"


def third_person(base: str) -> str:
    special = {"be": "is", "have": "has", "do": "does", "go": "goes"}
    if base in special:
        return special[base]
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if base.endswith("y") and len(base) > 1 and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


