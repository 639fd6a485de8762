import pytest

from rag.language import detect_language


@pytest.mark.parametrize("text,code,dominant", [
    ("2024年经开区实际使用外资多少？", "zh", "zh"),
    ("外资？", "zh", "zh"),
    ("GDP是多少", "zh", "zh"),
    ("经开区的FDI是多少", "zh", "zh"),
    ("How much foreign investment?", "en", "en"),
    ("FDI?", "en", "en"),
    ("What is 经开区 foreign investment in 2024?", "mixed", "en"),
    ("经开区 carbon footprint 管理体系有哪些支持措施", "zh", "zh"),
    ("Which ministry 负责碳足迹管理?", "mixed", "zh"),
    ("", "en", "en"),
    ("😀😀", "en", "en"),
])
def test_detects_short_and_mixed_text(text, code, dominant):
    lang = detect_language(text)
    assert (lang.code, lang.dominant) == (code, dominant)


def test_deterministic():
    q = "Which ministry 负责 carbon footprint 管理?"
    assert len({detect_language(q) for _ in range(20)}) == 1
