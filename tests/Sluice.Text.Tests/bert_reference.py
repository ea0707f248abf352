# The BERT uncased tokenizer as its published algorithm describes it (BasicTokenizer, then WordPiece), written for this
# test from the algorithm, with nothing but Python's standard library: the independent tokenizer the C# one is checked
# against. Reads JSON lines of texts from argv[2], writes one line of space-separated ids per text to argv[3].
import json, sys, unicodedata

vocab = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for i, line in enumerate(f):
        vocab[line.rstrip("\r\n")] = i
CLS, SEP, UNK = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]
MAX = int(sys.argv[4])

def is_whitespace(c):
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"

def is_control(c):
    if c in "\t\n\r":
        return False
    return unicodedata.category(c) in ("Cc", "Cf")

def is_punctuation(c):
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(c).startswith("P")

def is_cjk(o):
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2A6DF or 0x2A700 <= o <= 0x2B73F
            or 0x2B740 <= o <= 0x2B81F or 0x2B820 <= o <= 0x2CEAF or 0xF900 <= o <= 0xFAFF or 0x2F800 <= o <= 0x2FA1F)

def basic(text):
    cleaned = []
    for c in text:
        o = ord(c)
        if o == 0 or o == 0xFFFD or is_control(c):
            continue
        if is_cjk(o):
            cleaned.append(" " + c + " ")
        elif is_whitespace(c):
            cleaned.append(" ")
        else:
            cleaned.append(c)
    words = []
    for token in "".join(cleaned).split():
        token = "".join(c for c in unicodedata.normalize("NFD", token.lower()) if unicodedata.category(c) != "Mn")
        current = ""
        for c in token:
            if is_punctuation(c):
                if current:
                    words.append(current)
                words.append(c)
                current = ""
            else:
                current += c
        if current:
            words.append(current)
    return words

def wordpiece(word):
    if len(word) > 100:
        return [UNK]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [UNK]
        pieces.append(found)
        start = end
    return pieces

with open(sys.argv[2], encoding="utf-8") as f, open(sys.argv[3], "w") as out:
    for line in f:
        ids = [CLS]
        for w in basic(json.loads(line)):
            ids.extend(wordpiece(w))
        ids = ids[: MAX - 1] + [SEP]
        out.write(" ".join(map(str, ids)) + "\n")
