"""Regenerate the fictional document corpus and gold questions in eval/documents/.

Run:  /work/main/.venv/bin/python eval/documents/make.py

Writes (all content is invented):
  zh-two-column-paper.pdf   Chinese paper, abstract full width, body in two CSS columns
  zh-annual-report.pdf      >= 12 page Chinese report, running header/footer, tables
  zh-browser-print.pdf      Chinese web article printed with Chromium's default
                            header/footer, Kangxi-radical look-alike characters
  zh-no-unicode-map.pdf     Chinese notice with every /ToUnicode removed (garbage text)
  en-policy-brief.docx      English Word brief with headings and a budget table
  zh-product-slides.pptx    Chinese slides, a table slide, speaker notes
  en-city-stats.xlsx        two sheets (Population, Transit)
  zh-news-page.html         Chinese news page with nav/sidebar/footer boilerplate
  en-handbook-long.pdf      >= 8 page English handbook
  gold.jsonl                gold questions; PDF pages are measured with pypdfium2
  src/*.html                HTML sources of the PDFs

Needs: chromium on PATH, fonts-noto-cjk, and the venv packages pypdfium2, pypdf,
python-docx, python-pptx, openpyxl, fontTools.

Font note: Chromium (Skia) cannot embed the CFF-flavoured Noto Sans CJK OTC, so it
writes one Type3 font per 256 glyph ids with path glyphs (~0.8 KB per glyph), which
makes a 12-page Chinese PDF ~1 MB.  To keep files small, make.py converts a subset
of Noto Sans CJK SC (Regular and Bold) to TrueType outlines with fontTools under
the same family name (src/_fonts/, deleted afterwards); Chromium then embeds an
ordinary CIDFontType2 subset with a /ToUnicode CMap.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
FONTS = SRC / "_fonts"
CJK_STACK = '"Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif'

# --------------------------------------------------------------------------
# Kangxi radical / CJK radical look-alikes that browser-printed PDFs emit in
# place of ordinary ideographs.  Code points checked with unicodedata; the
# U+2Fxx ones NFKC-normalise back, the U+2Exx (C-SIMPLIFIED) ones do not.
# --------------------------------------------------------------------------
RADICAL_LOOKALIKES = {
    "一": "\u2f00", "二": "\u2f06", "人": "\u2f08", "入": "\u2f0a", "八": "\u2f0b",
    "力": "\u2f12", "十": "\u2f17", "口": "\u2f1d", "大": "\u2f24", "子": "\u2f26",
    "小": "\u2f29", "工": "\u2f2f", "心": "\u2f3c", "手": "\u2f3f", "文": "\u2f42",
    "方": "\u2f45", "日": "\u2f47", "月": "\u2f49", "比": "\u2f50", "水": "\u2f54",
    "生": "\u2f63", "用": "\u2f64", "目": "\u2f6c", "立": "\u2f74", "老": "\u2f7c",
    "自": "\u2f83", "至": "\u2f84", "行": "\u2f8f", "言": "\u2f94", "走": "\u2f9b",
    "里": "\u2fa5", "金": "\u2fa6", "面": "\u2faf", "高": "\u2fbc",
    "长": "\u2ed3", "门": "\u2ed4", "见": "\u2ec5", "车": "\u2ecb", "风": "\u2edb",
    "马": "\u2ee2", "页": "\u2eda",
}


def _check_radicals() -> None:
    for plain, rad in RADICAL_LOOKALIKES.items():
        name = unicodedata.name(rad)
        assert "RADICAL" in name, (plain, rad, name)
        nfkc = unicodedata.normalize("NFKC", rad)
        assert nfkc == plain or name.startswith("CJK RADICAL C-SIMPLIFIED"), (plain, name)


RADICAL_BACK = {v: k for k, v in RADICAL_LOOKALIKES.items()}


def _file_name(stem: str) -> str:
    """The document's file name (its id once indexed): "zh-annual-report" -> "zh-annual-report.pdf"."""
    return next(p.name for p in HERE.iterdir() if p.stem == stem and p.suffix in (".pdf", ".docx", ".pptx", ".xlsx", ".html"))


def to_radicals(text: str) -> str:
    return "".join(RADICAL_LOOKALIKES.get(c, c) for c in text)


def norm(text: str) -> str:
    """Normalisation used only for locating gold facts in extracted text."""
    text = "".join(RADICAL_BACK.get(c, c) for c in text)
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


def esc(s: str) -> str:
    return html.escape(s, quote=False)


# --------------------------------------------------------------------------
# fonts and printing
# --------------------------------------------------------------------------
def build_fonts(text: str) -> None:
    """Subset Noto Sans CJK SC (Regular, Bold) to `text` and convert CFF -> glyf."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTCollection, TTFont, newTable

    FONTS.mkdir(parents=True, exist_ok=True)
    chars = set(text) | {chr(c) for c in range(0x20, 0x7F)} | set("　，。、；：？！“”‘’（）《》【】—…·％")
    chars |= set(RADICAL_LOOKALIKES.values())
    for weight in ("Regular", "Bold"):
        path = f"/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc"
        idx = None
        for i, f in enumerate(TTCollection(path, lazy=True).fonts):
            if f["name"].getDebugName(1) in ("Noto Sans CJK SC", "Noto Sans CJK SC Bold"):
                idx = i
                break
        assert idx is not None, path
        font = TTFont(path, fontNumber=idx)
        opts = subset.Options()
        opts.layout_features = ["*"]
        opts.name_IDs = ["*"]
        opts.notdef_outline = True
        opts.hinting = False
        opts.desubroutinize = True
        sub = subset.Subsetter(opts)
        sub.populate(text="".join(sorted(chars)))
        sub.subset(font)
        order = font.getGlyphOrder()
        gset = font.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder = order
        glyf.glyphs = {}
        for g in order:
            pen = TTGlyphPen(None)
            gset[g].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
            glyf.glyphs[g] = pen.glyph()
        del font["CFF "]
        if "VORG" in font:
            del font["VORG"]
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        maxp = font["maxp"]
        maxp.tableVersion = 0x00010000
        for a in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements"):
            setattr(maxp, a, 0)
        maxp.maxZones = 1
        font["head"].indexToLocFormat = 0
        font["head"].glyphDataFormat = 0
        font["post"].formatType = 3.0
        font.sfntVersion = "\x00\x01\x00\x00"
        font.save(FONTS / f"NotoSansCJKsc-{weight}.ttf")


FONT_FACE_CSS = """
@font-face { font-family: "Noto Sans CJK SC"; font-weight: 400;
  src: url("_fonts/NotoSansCJKsc-Regular.ttf"), local("Noto Sans CJK SC"); }
@font-face { font-family: "Noto Sans CJK SC"; font-weight: 700;
  src: url("_fonts/NotoSansCJKsc-Bold.ttf"), local("Noto Sans CJK SC Bold"); }
"""


def print_pdf(html_name: str, pdf_name: str, header_footer: bool = False) -> Path:
    out = HERE / pdf_name
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000"]
    if not header_footer:
        cmd.append("--no-pdf-header-footer")
    cmd += [f"--print-to-pdf={out}", (SRC / html_name).as_uri()]
    if out.exists():
        out.unlink()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if not out.exists():
        sys.exit(f"chromium failed for {html_name}:\n{res.stderr[-2000:]}")
    return out


def write_src(name: str, text: str) -> None:
    (SRC / name).write_text(text, encoding="utf-8")


def blocks_html(blocks) -> str:
    out = []
    for b in blocks:
        kind = b[0]
        if kind in ("h1", "h2", "h3", "h4"):
            cls = f' class="{b[2]}"' if len(b) > 2 else ""
            out.append(f"<{kind}{cls}>{esc(b[1])}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{esc(b[1])}</p>")
        elif kind == "pn":  # paragraph without indent
            out.append(f'<p class="ni">{esc(b[1])}</p>')
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in b[1]) + "</ul>")
        elif kind == "table":
            caption, head, rows = b[1], b[2], b[3]
            note = b[4] if len(b) > 4 else ""
            t = [f'<table><caption>{esc(caption)}</caption><thead><tr>']
            t += [f"<th>{esc(h)}</th>" for h in head]
            t.append("</tr></thead><tbody>")
            for r in rows:
                t.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>")
            t.append("</tbody></table>")
            if note:
                t.append(f'<p class="tnote">{esc(note)}</p>')
            out.append("".join(t))
        elif kind == "raw":
            out.append(b[1])
        elif kind == "pagebreak":
            out.append('<div class="pb"></div>')
        else:
            raise ValueError(kind)
    return "\n".join(out)


# ==========================================================================
# a. zh-two-column-paper
# ==========================================================================
PAPER_TITLE = "面向滨海城市的分布式储能协同调度方法研究——以东临市为例"
PAPER_ABSTRACT = (
    "为缓解滨海城市夏季用电高峰期间日益突出的峰谷差压力，本文提出一种融合负荷预测与滚动优化的"
    "分布式储能协同调度框架 TIDE-2（潮汐-2）。研究基于东临市 2019—2023 年 1,286 座分布式储能站点的"
    "运行数据，构建了门控时序卷积负荷预测模型与混合整数线性规划滚动调度模型。以 2023 年夏季为测试期的"
    "实验表明，与未实施协同调度的基准情景相比，TIDE-2 使全市日均峰谷差降低 17.4%，弃风弃光率由 6.8% "
    "降至 3.1%。研究结果可为同类滨海城市的储能规划与运行管理提供参考。"
)
PAPER_BODY = [
    ("h2", "一、引言"),
    ("p", "东临市地处东南沿海，是区域性港口与先进制造业中心。2023 年全市全社会用电量达到 486.2 亿千瓦时，"
          "同比增长 7.9%；夏季最高用电负荷达到 9,870 兆瓦，创历史新高。与此同时，全市分布式光伏装机容量增至 "
          "2,140 兆瓦，海上风电并网容量达到 1,350 兆瓦。新能源出力的随机性与负荷高峰在时间上的错位，"
          "使电网调峰压力持续加大，午间光伏大发时段与傍晚负荷高峰之间的“鸭形曲线”特征日益明显。"),
    ("p", "分布式储能具有布点灵活、建设周期短、响应速度快等特点，被普遍视为缓解峰谷矛盾的重要手段。"
          "然而，现有储能站点大多由工业园区、商业综合体和公共机构等不同业主分散建设和运营，普遍采用"
          "“谷充峰放”的固定规则，缺乏全局协同，部分时段甚至出现多个相邻站点同时放电、加剧配电网反向"
          "潮流的情况[1-3]。如何在保障业主收益的前提下实现全市储能资源的统一调度，成为亟待解决的问题。"),
    ("p", "针对上述问题，本文以东临市为研究对象，提出一种多源数据驱动的协同调度框架，并利用五年实测数据"
          "进行验证。本文的主要贡献包括：（1）构建覆盖全市储能站点、气象与电价信息的多源数据集；"
          "（2）提出融合负荷预测与滚动优化的 TIDE-2 调度框架；（3）从峰谷差、经济性和新能源消纳三个维度"
          "系统评估框架效果，并分析预测误差与通信条件对调度效果的影响。"),
    ("h2", "二、相关研究"),
    ("h3", "（一）储能参与调峰的运行策略"),
    ("p", "早期研究多从单一站点出发，以峰谷电价套利最大化为目标制定充放电计划[4]。这类方法实现简单，"
          "但忽略了站点之间的相互影响。近年来，部分学者提出以虚拟电厂形式聚合分布式储能，统一参与"
          "电力辅助服务市场，但聚合规模通常在数十座站点以内，难以直接推广到城市尺度。"),
    ("h3", "（二）负荷预测与优化调度的结合"),
    ("p", "负荷预测精度直接影响日前与日内调度计划的质量。已有研究表明，基于深度学习的短期负荷预测可将误差"
          "控制在 3% 左右[5]，但多数工作将预测与调度视为两个独立环节，预测误差在调度中的传播机制尚缺乏"
          "系统分析。滚动优化通过不断引入最新观测来修正计划，是降低预测误差影响的有效途径[6]。"),
    ("h2", "三、研究区域与数据"),
    ("h3", "（一）研究区域"),
    ("p", "东临市下辖 12 个区县，陆域面积 6,480 平方千米，海岸线长 318 千米。全市主网架由 1 座 1000 千伏"
          "变电站、9 座 500 千伏变电站和 64 座 220 千伏变电站构成。受海洋性气候影响，每年 7—9 月为用电"
          "高峰期，台风过境时负荷和新能源出力的波动尤为剧烈。"),
    ("h3", "（二）数据来源"),
    ("p", "研究使用的数据包括三类。第一类为储能运行数据：截至 2023 年底，全市纳入统一监测的分布式储能站点"
          "共 1,286 座，总额定容量 1,742 兆瓦时，总额定功率 868 兆瓦，数据采样间隔为 15 分钟，五年累计约 "
          "1.68 亿条记录。第二类为气象数据，来自东临海洋气象台的 47 个自动气象站，包括气温、辐照度、风速等 "
          "11 项要素。第三类为电价与负荷数据，由东临市电力调度控制中心提供。"),
    ("p", "从业主类型看，工业园区站点数量最多、单站规模最大，居民社区站点数量少且单站容量普遍低于 1 兆瓦时。"
          "各类业主的站点构成见表 1。"),
    ("table", "表 1 东临市分布式储能站点构成（截至 2023 年底）",
     ["业主类型", "站点数/座", "额定容量/兆瓦时", "容量占比/%"],
     [["工业园区", "512", "824", "47.3"],
      ["商业综合体", "398", "503", "28.9"],
      ["公共机构", "241", "286", "16.4"],
      ["居民社区", "135", "129", "7.4"],
      ["合计", "1,286", "1,742", "100.0"]]),
    ("p", "在数据预处理阶段，共剔除异常记录 213 万条，占原始记录的 1.27%；缺失值采用相邻时段线性插值补全，"
          "连续缺失超过 2 小时的时段不参与模型训练。为避免信息泄漏，所有特征的标准化参数仅在训练集上估计。"),
    ("h2", "四、方法"),
    ("h3", "（一）负荷预测模块"),
    ("p", "负荷预测模块采用门控时序卷积网络（GTCN），输入过去 7 天的负荷、气象与日历特征，输出未来 24 小时"
          "共 96 个时段的负荷预测值。模型在 2019—2022 年数据上训练，在 2023 年数据上测试，平均绝对百分比"
          "误差（MAPE）为 2.91%，较传统 ARIMA 模型降低 1.64 个百分点。"),
    ("h3", "（二）滚动优化调度模块"),
    ("p", "调度模块以全市净负荷峰谷差最小和储能运行成本最低为目标，建立混合整数线性规划（MILP）模型。"
          "约束条件包括站点功率与容量上下限、荷电状态（SOC）运行区间 [10%, 90%]、配电线路容量以及站点间"
          "功率互济限制。模型采用开源求解器 HiGHS 求解，每 15 分钟滚动更新一次，单次平均求解时间为 4.7 秒，"
          "能够满足在线调度的时效要求。"),
    ("h3", "（三）分时电价耦合与收益分配"),
    ("p", "为兼顾站点业主的收益，框架引入分时电价信号，并对参与协同调度的站点按实际调峰贡献给予补偿，"
          "补偿标准为每千瓦时 0.18 元，由市级调峰辅助服务资金支付。业主可在每月初选择是否参与下一个月"
          "的协同调度，退出不影响其自主运行。"),
    ("h3", "（四）算法流程"),
    ("p", "TIDE-2 的在线运行流程分为四步：第一步，每 15 分钟从调度中心和各站点采集最新负荷、出力与荷电状态"
          "数据；第二步，负荷预测模块滚动更新未来 24 小时预测曲线；第三步，调度模块以最新预测为输入求解"
          "优化模型，仅下发未来一个时段的充放电指令；第四步，站点执行指令并回传执行结果，偏差超过 5% 的"
          "站点被标记并在下一轮优化中调整其可用容量。为保证可靠性，当调度中心与站点通信中断超过 3 个时段时，"
          "站点自动切换回本地规则运行。"),
    ("h2", "五、实验结果与分析"),
    ("h3", "（一）峰谷差削减效果"),
    ("p", "以 2023 年 6—9 月为测试期，TIDE-2 使全市日均峰谷差由基准情景的 412 兆瓦降至 340 兆瓦，降幅为 "
          "17.4%；在最高负荷日（2023 年 8 月 3 日），峰谷差削减量达到 96 兆瓦。相比之下，现行规则调度"
          "方式下的日均峰谷差仅下降 5.2%。不同调度方式的主要指标见表 2。"),
    ("table", "表 2 不同调度方式的效果对比（2023 年 6—9 月）",
     ["指标", "基准情景", "规则调度", "集中优化", "TIDE-2"],
     [["日均峰谷差/兆瓦", "412", "391", "358", "340"],
      ["弃风弃光率/%", "6.8", "5.9", "4.2", "3.1"],
      ["年调峰成本/万元", "10,230", "9,850", "8,120", "7,490"],
      ["单次求解时间/秒", "—", "—", "38.6", "4.7"]]),
    ("h3", "（二）经济性分析"),
    ("p", "按 2023 年电价水平测算，与规则调度相比，TIDE-2 每年可节约调峰成本 2,360 万元。由于充放电深度"
          "更加均衡，储能电池的等效循环寿命预计延长约 11%。在参与协同的站点中，业主平均每座每年增收 "
          "2.7 万元，其中商业综合体站点的增收最为明显。"),
    ("h3", "（三）新能源消纳"),
    ("p", "协同调度使储能在午间光伏大发时段集中充电，弃风弃光率由 6.8% 降至 3.1%，相当于每年多消纳"
          "清洁电量 1.94 亿千瓦时，减少二氧化碳排放约 11.3 万吨。"),
    ("h3", "（四）敏感性分析"),
    ("p", "敏感性分析显示，负荷预测误差每增加 1 个百分点，峰谷差削减幅度平均下降 0.9 个百分点；当 MAPE "
          "超过 6% 时，TIDE-2 相对集中优化方法的优势不再显著。通信时延在 30 秒以内时，对调度效果的影响"
          "可以忽略。"),
    ("h3", "（五）典型日分析"),
    ("p", "以最高负荷日 2023 年 8 月 3 日为例，当日 11:00—14:00 光伏出力较大，参与协同的储能站点集中充电，"
          "最大充电功率达到 587 兆瓦；19:00—21:00 晚高峰期间集中放电，最大放电功率为 612 兆瓦。与规则调度"
          "相比，协同调度避免了午后部分站点提前放电导致晚高峰可用容量不足的问题，晚高峰时段储能平均剩余"
          "荷电状态由 38% 提高到 71%。"),
    ("h2", "六、讨论"),
    ("p", "本研究仍存在一定局限。其一，2022 年 9 月的一次强台风过程中，共有 83 座站点因通信中断退出协同，"
          "当日调度效果明显下降，说明框架对通信网络的可靠性依赖较强。其二，本文尚未将全市约 3.2 万个公共"
          "充电桩纳入调度范围，电动汽车的柔性负荷潜力有待进一步挖掘。其三，补偿标准目前为固定值，未来可"
          "探索基于市场出清价格的动态补偿机制。"),
    ("h2", "七、结论"),
    ("p", "本文提出的 TIDE-2 框架将负荷预测与滚动优化相结合，在东临市 1,286 座分布式储能站点上的实证结果"
          "表明，该框架能够显著降低峰谷差、减少调峰成本并促进新能源消纳，且计算效率满足在线应用要求。"
          "下一步，研究团队计划于 2025 年在东临市滨江新区开展为期一年的现场示范运行。"),
    ("h2", "参考文献", "refs"),
    ("raw", '<ol class="refs">'
            "<li>陈一鸣，王若谷．分布式储能参与电网调峰的运行策略综述［J］．东南电力研究，2021，9（4）：33-41．</li>"
            "<li>赵清和，孙立言．用户侧储能聚合调度的博弈模型［J］．能源系统工程学报，2022，15（2）：118-127．</li>"
            "<li>许安宁，等．配电网反向潮流的成因与抑制方法［J］．电网运行技术，2020，28（11）：54-60．</li>"
            "<li>吴若冰．峰谷电价下储能电站的套利策略研究［D］．南岬：南岬工业大学，2019．</li>"
            "<li>周闻笛，林若溪．基于门控卷积的城市短期负荷预测［J］．东临理工大学学报，2022，40（6）：77-85．</li>"
            "<li>郭致远，韩景澄．滚动优化在城市电网日内调度中的应用［J］．电力调度自动化，2023，17（1）：9-16．</li>"
            "</ol>"),
]


def make_paper() -> None:
    css = FONT_FACE_CSS + f"""
@page {{ size: A4; margin: 18mm 16mm 18mm 16mm; }}
body {{ font-family: {CJK_STACK}; font-size: 10.5pt; line-height: 1.75; color: #111; margin: 0; }}
.journal {{ font-size: 8.5pt; color: #444; border-bottom: 0.8pt solid #444; padding-bottom: 2pt;
           display: flex; justify-content: space-between; }}
h1.title {{ font-size: 17pt; text-align: center; margin: 14pt 0 6pt; line-height: 1.35; }}
.authors {{ text-align: center; font-size: 11pt; margin: 2pt 0; }}
.affil {{ text-align: center; font-size: 8.5pt; color: #333; margin: 0 0 8pt; }}
.abstract {{ font-size: 9.5pt; line-height: 1.65; margin: 0 6mm; }}
.abstract p {{ margin: 2pt 0; text-indent: 0; }}
.meta {{ font-size: 8.5pt; margin: 4pt 6mm 10pt; border-bottom: 0.8pt solid #444; padding-bottom: 6pt; }}
.cols {{ column-count: 2; column-gap: 7mm; text-align: justify; }}
h2 {{ font-size: 11.5pt; margin: 8pt 0 3pt; break-after: avoid; }}
h3 {{ font-size: 10.5pt; margin: 5pt 0 2pt; break-after: avoid; }}
p {{ margin: 0 0 2pt; text-indent: 2em; }}
table {{ width: 100%; border-collapse: collapse; font-size: 8.5pt; margin: 4pt 0 6pt;
        border-top: 1.2pt solid #000; border-bottom: 1.2pt solid #000; break-inside: avoid; }}
caption {{ font-weight: 700; font-size: 9pt; margin-bottom: 2pt; }}
th {{ border-bottom: 0.6pt solid #000; padding: 2pt 1pt; }}
td {{ padding: 1.5pt 1pt; text-align: center; }}
ol.refs {{ font-size: 8.5pt; padding-left: 1.6em; margin: 0; line-height: 1.55; }}
"""
    body = (
        '<div class="journal"><span>东南能源研究　第 38 卷第 5 期</span><span>2024 年 5 月</span></div>'
        f'<h1 class="title">{esc(PAPER_TITLE)}</h1>'
        '<div class="authors">林若溪<sup>1</sup>　周闻笛<sup>1</sup>　韩景澄<sup>2</sup></div>'
        '<div class="affil">（1. 东临理工大学 能源与动力工程学院，东临 318020；2. 东临市电力调度控制中心，东临 318001）</div>'
        f'<div class="abstract"><p><b>摘　要：</b>{esc(PAPER_ABSTRACT)}</p>'
        '<p><b>关键词：</b>分布式储能；协同调度；负荷预测；滚动优化；峰谷差</p></div>'
        '<div class="meta">中图分类号：TM73　　文献标识码：A　　收稿日期：2024-03-18　　'
        '基金项目：东临市自然科学基金项目（DL2023-0457）</div>'
        f'<div class="cols">{blocks_html(PAPER_BODY)}</div>'
    )
    doc = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(PAPER_TITLE)}</title>'
           f"<style>{css}</style></head><body>{body}</body></html>")
    write_src("zh-two-column-paper.html", doc)
    print_pdf("zh-two-column-paper.html", "zh-two-column-paper.pdf")


# ==========================================================================
# b. zh-annual-report
# ==========================================================================
REPORT_HEADER = "青漪湾数字经济研究院 2024 年度报告"

REPORT_PROJECTS = [
    ["QY-2024-01", "城市级数据要素流通平台", "沈知远", "2023—2026", "4,860"],
    ["QY-2024-02", "中小企业数字化转型诊断模型", "顾　盼", "2024—2025", "1,275"],
    ["QY-2024-03", "港口物流数字孪生系统", "陆鸣川", "2022—2025", "3,140"],
    ["QY-2024-04", "公共数据质量评估标准研制", "许清禾", "2024—2026", "690"],
    ["QY-2024-05", "农村电商信用评价体系", "阮思齐", "2023—2025", "835"],
    ["QY-2024-06", "算力调度与绿色数据中心", "郑彦之", "2024—2027", "5,620"],
    ["合计", "", "", "", "16,420"],
]
REPORT_IP = [
    ["发明专利申请（件）", "48", "63", "77", "95"],
    ["发明专利授权（件）", "19", "27", "35", "52"],
    ["软件著作权登记（项）", "31", "44", "58", "71"],
    ["主导制定标准（项）", "2", "3", "5", "7"],
    ["技术合同成交额（万元）", "2,180", "3,460", "5,030", "6,920"],
]
REPORT_FIN = [
    ["一、收入合计", "38,200", "33,930", "12.6%"],
    ["　　财政拨款收入", "16,450", "15,800", "4.1%"],
    ["　　横向科研合同收入", "11,380", "9,640", "18.0%"],
    ["　　成果转化收入", "6,920", "5,030", "37.6%"],
    ["　　其他收入", "3,450", "3,460", "-0.3%"],
    ["二、支出合计", "36,620", "32,750", "11.8%"],
    ["　　人员经费", "14,260", "13,120", "8.7%"],
    ["　　科研业务费", "15,870", "13,990", "13.4%"],
    ["　　设备购置费", "4,310", "3,860", "11.7%"],
    ["　　运行维护费", "2,180", "1,780", "22.5%"],
    ["三、当年结余", "1,580", "1,180", "33.9%"],
]

REPORT_CHAPTERS = [
    ("第一章　总体概况", [
        ("h2", "一、院长致辞"),
        ("p", "2024 年是研究院实施“十四五”发展规划的关键一年。一年来，全院上下围绕数据要素市场化配置、"
              "产业数字化转型和数字治理三大方向，持续加强基础研究与应用研究，科研产出和服务能力稳步提升。"
              "在此，谨向长期关心和支持研究院发展的各级部门、合作单位和社会各界表示衷心感谢。"),
        ("p", "面向 2025 年，我们将坚持“顶天立地”的发展思路，一方面瞄准数据科学前沿问题开展原创研究，"
              "另一方面扎根青漪湾区产业一线，推动更多成果在企业和政府部门落地见效。（院长　沈知远）"),
        ("h2", "二、基本情况"),
        ("p", "青漪湾数字经济研究院成立于 2016 年 11 月，是由青漪市人民政府举办的公益二类事业单位，院址位于"
              "青漪市湾区科学城。研究院下设 7 个研究所和 3 个公共服务平台，分别为数据要素研究所、产业数字化"
              "研究所、数字治理研究所、智能计算研究所、数字金融研究所、空间信息研究所、数字社会研究所，以及"
              "公共数据开放平台、湾区智算中心和技术转移中心。"),
        ("h2", "三、年度主要指标"),
        ("p", "2024 年，研究院实现总收入 3.82 亿元，同比增长 12.6%；在研项目 148 项，其中新立项 53 项；"
              "发表学术论文 236 篇，其中高水平期刊论文 61 篇；获得发明专利授权 52 件；提交的政策建议中有 "
              "17 篇获得市级及以上领导批示。年末在职职工 386 人，较上年增加 19 人。"),
    ]),
    ("第二章　科研工作", [
        ("h2", "一、总体情况"),
        ("p", "2024 年，研究院共承担各类科研项目 148 项，新立项 53 项，其中国家级项目 9 项、省级项目 21 项、"
              "市级项目 14 项、企业委托项目 9 项。全年新签科研合同经费 2.46 亿元，同比增长 15.2%，"
              "其中来自企业的横向合同经费占比首次超过 45%。"),
        ("p", "研究院持续优化科研组织方式，全面推行“首席科学家 + 项目经理”双负责人制度，对重点项目实行"
              "里程碑管理。全年组织项目中期检查 36 次、结题验收 29 项，结题项目优良率达到 93.1%。"),
        ("h2", "二、重点在研项目"),
        ("p", "2024 年度重点在研项目共 6 项，总预算 16,420 万元，具体情况见表 2-1。"),
        ("table", "表 2-1　2024 年度重点在研项目一览",
         ["项目编号", "项目名称", "负责人", "起止年份", "总预算（万元）"], REPORT_PROJECTS,
         "注：预算含财政资金与自筹资金。"),
        ("h3", "（一）城市级数据要素流通平台"),
        ("p", "该项目围绕数据确权、定价和交易三个环节，建设支撑数据要素流通的城市级基础设施。截至 2024 年底，"
              "平台已完成可信数据空间原型开发，接入试点企业 42 家，累计完成数据产品登记 318 个，"
              "撮合数据交易 67 笔。"),
        ("h3", "（二）港口物流数字孪生系统"),
        ("p", "项目以青漪湾港集装箱码头为试点，构建覆盖岸桥、堆场和集卡的数字孪生模型。系统上线后，"
              "码头平均集卡等待时间由 38 分钟缩短至 26 分钟，堆场翻箱率下降 14.5%。项目计划于 2025 年"
              "完成二期建设并向湾区其他港区推广。"),
        ("h3", "（三）算力调度与绿色数据中心"),
        ("p", "该项目为研究院 2024 年新立项的最大单体项目，重点研究跨区域算力调度算法、液冷散热与余热回收"
              "技术，目标是在 2027 年前将湾区智算中心的年均能效比降至 1.15 以下。"),
        ("h3", "（四）中小企业数字化转型诊断模型"),
        ("p", "项目面向制造业中小企业，构建了包含 6 个维度、48 项指标的数字化水平评估模型，并开发了在线自评"
              "工具。2024 年，项目组在 5 个区县为 327 家企业提供了现场诊断服务，单个企业的平均诊断周期由 15 个"
              "工作日缩短至 6 个工作日，诊断报告中提出的改造建议已有 41% 被企业采纳实施。"),
        ("h2", "三、科研条件与管理"),
        ("p", "2024 年，研究院新增科研仪器设备 214 台（套），科研用房面积达到 3.8 万平方米。研究院修订了"
              "《科研项目经费管理办法》《横向科研项目管理办法》等制度 9 项，进一步下放经费调剂权限，"
              "项目负责人可在预算总额内自主调剂直接费用。"),
        ("p", "研究院持续加强科研诚信与科技伦理建设，成立科技伦理委员会，全年审查涉及个人信息处理的研究项目 "
              "23 项，开展科研诚信专题教育 6 场，未发生科研失信行为。"),
    ]),
    ("第三章　人才队伍", [
        ("h2", "一、人员结构"),
        ("p", "截至 2024 年 12 月 31 日，研究院在职职工 386 人，其中科研人员 291 人，占 75.4%；管理与支撑"
              "人员 95 人。从学历结构看，具有博士学位的 142 人，硕士学位的 167 人；从职称结构看，具有正高级"
              "职称的 43 人、副高级职称的 75 人。全院职工平均年龄 36.4 岁，35 岁以下青年科研人员占科研人员"
              "总数的 52.2%。"),
        ("h2", "二、人才引进与培养"),
        ("p", "2024 年共引进各类人才 27 人，其中具有海外工作经历的 6 人。研究院实施“青漪学者”计划，"
              "全年遴选资助青年学者 15 人，每人每年资助科研经费 50 万元，资助期 3 年。"),
        ("p", "全年组织业务培训 64 场，参训 3,150 人次；选派 12 名青年骨干赴合作高校和企业挂职锻炼。"
              "研究院与青漪大学联合培养博士研究生 38 名、硕士研究生 104 名。"),
        ("h2", "三、荣誉与奖励"),
        ("p", "2024 年，研究院职工获得省部级以上科技奖励 5 项，其中“港口物流数字孪生关键技术及应用”获青漪省"
              "科学技术进步奖一等奖。数字治理研究所所长许清禾入选青漪省“数字领军人才”。"),
    ]),
    ("第四章　成果转化", [
        ("h2", "一、知识产权"),
        ("p", "研究院高度重视知识产权的创造、保护和运用。2021—2024 年主要知识产权与转化指标见表 4-1。"
              "2024 年发明专利授权量为 52 件，较 2023 年增长 48.6%；每百名科研人员发明专利授权量达到 17.9 件。"),
        ("table", "表 4-1　2021—2024 年知识产权与成果转化情况",
         ["类别", "2021 年", "2022 年", "2023 年", "2024 年"], REPORT_IP),
        ("h2", "二、技术转移"),
        ("p", "2024 年，技术转移中心共促成技术合同 213 项，成交额 6,920 万元；新孵化科技型企业 11 家，"
              "累计孵化企业达到 58 家，其中 3 家入选青漪市“专精特新”企业名单。"),
        ("p", "研究院与湾区 9 家龙头企业共建联合实验室，全年联合实验室投入研发经费 4,380 万元，"
              "形成可推广的行业解决方案 21 项。"),
        ("h2", "三、标准制定"),
        ("p", "全年主导制定地方标准和团体标准 7 项，其中《公共数据质量评价规范》（DB-QY/T 0217—2024）于 "
              "2024 年 10 月正式发布实施，这是青漪省首个公共数据质量评价领域的地方标准。"),
        ("h2", "四、决策咨询"),
        ("p", "全年向各级政府部门报送决策咨询报告 48 篇，获得领导批示 17 篇，其中 4 篇被采纳转化为正式政策"
              "文件。研究院牵头编制的《青漪市数据要素市场化配置改革三年行动方案》于 2024 年 6 月印发。"),
    ]),
    ("第五章　数据平台建设", [
        ("h2", "一、公共数据开放平台"),
        ("p", "青漪市公共数据开放平台由研究院负责建设运维。截至 2024 年底，平台累计开放数据集 16616 个，"
              "接入市级部门和区县 58 个，提供数据接口 2,047 个，全年接口调用量达 3.1 亿次，较上年增长 41%。"
              "平台注册用户 8.7 万个，其中企业用户 1.26 万个。"),
        ("p", "2024 年，平台新上线交通出行、医疗卫生、生态环境三个主题专区，举办第四届青漪公共数据开放创新"
              "大赛，共征集参赛作品 412 件。"),
        ("h2", "二、湾区智算中心"),
        ("p", "湾区智算中心二期工程于 2024 年建成投运，智能算力规模由 400 PFLOPS（FP16）提升至 1,200 PFLOPS，"
              "全年算力平均利用率为 68.5%。中心采用液冷与自然冷却相结合的散热方案，年均电能利用效率（PUE）"
              "为 1.19，年用电量 1.05 亿千瓦时。"),
        ("h2", "三、数据安全"),
        ("p", "研究院建立了覆盖数据全生命周期的安全管理体系，全年开展网络安全应急演练 12 次，完成等级保护测评 "
              "5 项，未发生重大数据安全事件。"),
    ]),
    ("第六章　合作交流", [
        ("h2", "一、国内合作"),
        ("p", "2024 年，研究院新签署战略合作协议 31 项，合作单位包括高校、科研院所、龙头企业和地方政府。"
              "与青漪大学共建的“数据科学联合研究中心”全年联合申报项目 16 项，获批 9 项。"),
        ("h2", "二、国际交流"),
        ("p", "研究院与 6 个国家和地区的 14 家机构建立了合作关系，全年接待境外来访 23 批次，派出访问学者 "
              "9 人次。研究院作为联合发起单位，参与组建了“环湾区数字治理研究网络”。"),
        ("h2", "三、学术会议"),
        ("p", "2024 年 9 月 26 日至 27 日，研究院主办第五届青漪湾数字经济论坛，主题为“数据要素赋能新质"
              "生产力”。论坛设 1 个主论坛和 8 个分论坛，线下参会人数达 1,860 人，线上直播观看量超过 "
              "52 万人次，发布研究报告 6 部。"),
    ]),
    ("第七章　财务状况", [
        ("h2", "一、收支总体情况"),
        ("p", "2024 年研究院总收入 38,200 万元（3.82 亿元），总支出 36,620 万元，当年结余 1,580 万元。"
              "收入结构持续优化，横向科研合同收入与成果转化收入合计占总收入的 47.9%，较上年提高 4.7 个"
              "百分点。收支明细见表 7-1。"),
        ("table", "表 7-1　2024 年度收支情况（单位：万元）",
         ["项目", "2024 年", "2023 年", "同比增减"], REPORT_FIN),
        ("h2", "二、资产情况"),
        ("p", "截至 2024 年末，研究院资产总额 9.64 亿元，其中固定资产原值 5.27 亿元，单价 50 万元以上的大型"
              "仪器设备 86 台（套），大型仪器设备对外开放共享机时 4.1 万小时。"),
        ("h2", "三、审计与监督"),
        ("p", "研究院全年接受财政、审计等外部检查 4 次，完成内部审计项目 11 个，审计发现问题均已整改完毕。"),
    ]),
    ("第八章　2025 年工作计划", [
        ("h2", "一、总体目标"),
        ("p", "2025 年，研究院将围绕“建设国内一流的数字经济新型研发机构”目标，力争实现总收入 4.1 亿元，"
              "新立项科研项目 60 项以上，发明专利授权 60 件以上。"),
        ("h2", "二、重点任务"),
        ("h3", "（一）建设低空经济数据实验室"),
        ("p", "依托空间信息研究所筹建低空经济数据实验室，计划投入建设资金 3,600 万元，重点开展低空飞行数据"
              "融合、空域数字化管理等研究。"),
        ("h3", "（二）扩大公共数据供给"),
        ("p", "推动公共数据开放平台新增开放数据集 3,000 个以上，上线公共数据授权运营专区，力争全年接口调用量"
              "突破 4 亿次。"),
        ("h3", "（三）加强人才引育"),
        ("p", "计划引进博士及以上高层次人才 30 名，“青漪学者”计划资助人数扩大至 20 人。"),
    ]),
    ("附录一　2024 年大事记", [
        ("ul", [
            "1 月 12 日，研究院第三届学术委员会成立，委员 21 人。",
            "3 月 8 日，“城市级数据要素流通平台”项目通过中期评估。",
            "4 月 18 日，湾区智算中心二期工程正式投运。",
            "6 月 20 日，《青漪市数据要素市场化配置改革三年行动方案》印发实施。",
            "7 月 5 日，研究院与青漪大学签署新一轮全面合作协议。",
            "9 月 26 日，第五届青漪湾数字经济论坛开幕。",
            "10 月 15 日，《公共数据质量评价规范》地方标准发布。",
            "11 月 28 日，研究院通过青漪省新型研发机构绩效评估，评估等级为“优秀”。",
            "12 月 30 日，公共数据开放平台开放数据集数量突破一万六千个。",
        ]),
    ]),
    ("附录二　组织机构", [
        ("p", "研究院实行理事会领导下的院长负责制。理事会由 11 名理事组成，理事长由青漪市分管副市长担任。"
              "研究院设院长 1 名、副院长 3 名，学术委员会负责学术方向把关和重大科研事项咨询。"),
        ("ul", [
            "职能部门：院办公室、科研管理处、人事处、财务资产处、合作交流处、安全保障处。",
            "研究机构：数据要素研究所、产业数字化研究所、数字治理研究所、智能计算研究所、数字金融研究所、"
            "空间信息研究所、数字社会研究所。",
            "公共服务平台：公共数据开放平台、湾区智算中心、技术转移中心。",
        ]),
        ("p", "联系地址：青漪市湾区科学城启明路 88 号　邮政编码：510900　电子邮箱：office@qyde.example"),
    ]),
]


def make_report() -> None:
    css = FONT_FACE_CSS + f"""
@page {{
  size: A4; margin: 24mm 20mm 22mm 20mm;
  @top-left {{ content: "{REPORT_HEADER}"; font-family: {CJK_STACK}; font-size: 8.5pt; color: #333;
              border-bottom: 0.6pt solid #666; vertical-align: bottom; padding-bottom: 3pt; }}
  @top-right {{ content: "公开版"; font-family: {CJK_STACK}; font-size: 8.5pt; color: #333;
               border-bottom: 0.6pt solid #666; vertical-align: bottom; padding-bottom: 3pt; }}
  @bottom-center {{ content: "第 " counter(page) " 页　共 " counter(pages) " 页";
                   font-family: {CJK_STACK}; font-size: 8.5pt; color: #333; }}
}}
body {{ font-family: {CJK_STACK}; font-size: 11pt; line-height: 1.85; color: #111; margin: 0; }}
.cover {{ text-align: center; padding-top: 55mm; break-after: page; }}
.cover .org {{ font-size: 24pt; font-weight: 700; letter-spacing: 2pt; }}
.cover .yr {{ font-size: 30pt; font-weight: 700; margin: 10mm 0 60mm; }}
.cover .by {{ font-size: 13pt; line-height: 2.2; }}
.toc {{ break-after: page; }}
.toc h1 {{ text-align: center; }}
.toc li {{ font-size: 12pt; line-height: 2.3; list-style: none; }}
section.ch {{ break-before: page; }}
section.ch:first-of-type {{ break-before: auto; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 10pt; }}
h2 {{ font-size: 12.5pt; font-weight: 400; color: #123c69; margin: 10pt 0 4pt; break-after: avoid; }}
h3 {{ font-size: 11.5pt; font-weight: 400; color: #123c69; margin: 8pt 0 3pt; break-after: avoid; }}
p {{ margin: 0 0 4pt; text-indent: 2em; text-align: justify; }}
ul {{ margin: 4pt 0; padding-left: 2em; }}
li {{ margin-bottom: 3pt; }}
table {{ width: 100%; border-collapse: collapse; font-size: 10pt; margin: 6pt 0 4pt; line-height: 1.5; }}
caption {{ margin-bottom: 4pt; color: #123c69; }}
th, td {{ border: 0.6pt solid #333; padding: 3pt 4pt; }}
th {{ background: #e8eef4; font-weight: 400; }}
td {{ text-align: center; }}
td:nth-child(2) {{ text-align: left; }}
p.tnote {{ font-size: 9pt; text-indent: 0; color: #333; }}
"""
    cover = ('<div class="cover"><div class="org">青漪湾数字经济研究院</div>'
             '<div class="yr">2024 年度报告</div>'
             '<div class="by">编制单位：青漪湾数字经济研究院院办公室<br>二〇二五年三月</div></div>')
    toc = '<div class="toc"><h1>目　录</h1><ul>' + "".join(
        f"<li>{esc(t)}</li>" for t, _ in REPORT_CHAPTERS) + "</ul></div>"
    chapters = "".join(
        f'<section class="ch"><h1>{esc(t)}</h1>{blocks_html(b)}</section>' for t, b in REPORT_CHAPTERS)
    doc = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{REPORT_HEADER}</title>'
           f"<style>{css}</style></head><body>{cover}{toc}{chapters}</body></html>")
    write_src("zh-annual-report.html", doc)
    print_pdf("zh-annual-report.html", "zh-annual-report.pdf")


# ==========================================================================
# c. zh-browser-print  (Chromium default header/footer + Kangxi look-alikes)
# ==========================================================================
WEB_TITLE = "大模型走进车间：澜川工业园区人工智能应用调查"
WEB_PARAS = [
    "走进澜川工业园区恒远精密机械有限公司的生产车间，机械臂有节奏地挥动，质检工位上却已看不到成排的"
    "检验员。取而代之的，是一套接入行业大模型的视觉检测系统。“过去一个班组要 12 个人盯着屏幕挑缺陷，"
    "现在 2 个人复核就够了。”车间主任方志诚说。",
    "澜川工业园区是澜川市规模最大的制造业集聚区，现有规模以上工业企业 214 家。记者从园区管委会了解到，"
    "截至 2024 年 9 月底，园区已有 63 家企业在生产环节部署了人工智能大模型应用，覆盖质量检测、工艺优化、"
    "设备运维和供应链计划等场景。",
    "一、行业大模型从“能用”到“好用”",
    "2023 年底，园区联合澜川大学人工智能学院发布面向装备制造行业的大模型“澜川·匠心”。该模型参数规模为 "
    "130 亿，训练语料中工业技术文档、工艺规程和设备日志等行业文本占比达到 62%。与通用大模型相比，"
    "“澜川·匠心”在园区企业提交的 1,500 道工艺问答测试中，准确率高出 23 个百分点。",
    "在恒远精密机械，视觉检测系统上线 8 个月后，产品缺陷检出率由 91.2% 提升至 98.6%，误报率下降到 "
    "1.4%，每年节约人工成本约 1,140 万元。企业负责人高文远介绍，公司还利用大模型自动生成设备维护方案，"
    "关键设备非计划停机时间同比减少 37%。",
    "二、生产方式与用工结构随之改变",
    "调查显示，部署大模型应用的企业平均订单交付周期缩短了 5.3 天，单位产值能耗下降 6.8%。与此同时，"
    "一线岗位的技能要求明显提高。园区今年已组织“人工智能 + 制造”专项培训 46 期，累计培训一线工人 "
    "2,870 人次，其中 1,120 人取得了智能制造运维相关职业技能等级证书。",
    "“大模型不是要取代工人，而是把工人从重复劳动中解放出来，去做更需要经验判断的工作。”园区人力资源"
    "服务中心负责人说。记者注意到，园区内“设备数据分析员”“工业提示词工程师”等新岗位的招聘需求同比增长"
    "了一倍以上。",
    "三、中小企业仍面临门槛",
    "不过，大模型在园区的推广并不平衡。园区管委会对 120 家中小企业的问卷调查显示，41% 的企业缺少数据工程"
    "人员，35% 的企业认为一次性投入过高，还有不少企业的生产数据分散在不同系统中，难以直接用于模型训练。",
    "为此，园区设立了总规模 2.5 亿元的人工智能专项资金，对企业购买算力服务、开展数据治理和部署行业模型"
    "给予补贴，单个企业最高补助 800 万元。园区还搭建了公共算力服务平台，中小企业可按小时租用算力，"
    "价格比市场平均水平低约 30%。",
    "根据园区发布的行动计划，到 2025 年底将建成 3 家大模型应用示范工厂，到 2026 年规模以上工业企业的大模型"
    "应用覆盖率力争超过 60%。“下一步，我们要让更多中小企业用得上、用得起、用得好。”园区管委会主任"
    "周立行表示。",
]


def make_browser_print() -> None:
    k = to_radicals
    parts = []
    for para in WEB_PARAS:
        if re.match(r"^[一二三四五六七八九十]+、", para):
            parts.append(f"<h2>{esc(k(para))}</h2>")
        else:
            parts.append(f"<p>{esc(k(para))}</p>")
    css = FONT_FACE_CSS + f"""
@page {{ size: A4; margin: 16mm 14mm; }}
body {{ font-family: {CJK_STACK}; font-size: 11.5pt; line-height: 1.9; color: #222; margin: 0; }}
.site {{ display: flex; justify-content: space-between; border-bottom: 2pt solid #0a5; padding-bottom: 4pt; }}
.site b {{ font-size: 15pt; color: #0a5; }}
.site span {{ font-size: 9pt; color: #666; }}
.crumb {{ font-size: 9pt; color: #888; margin: 6pt 0; }}
h1 {{ font-size: 19pt; line-height: 1.4; margin: 8pt 0 4pt; }}
.meta {{ font-size: 9pt; color: #777; margin-bottom: 10pt; }}
h2 {{ font-size: 13pt; margin: 12pt 0 4pt; }}
p {{ text-indent: 2em; margin: 0 0 6pt; text-align: justify; }}
.tags, .related {{ font-size: 9.5pt; color: #555; margin-top: 10pt; }}
.related li {{ margin: 2pt 0; }}
.foot {{ font-size: 8.5pt; color: #888; border-top: 1pt solid #ccc; margin-top: 12pt; padding-top: 4pt; }}
"""
    body = (
        f'<div class="site"><b>{esc(k("澜川科技观察"))}</b><span>{esc(k("首页 | 产业 | 科技 | 数据 | 专题"))}</span></div>'
        f'<div class="crumb">{esc(k("首页 > 产业观察 > 正文"))}</div>'
        f"<h1>{esc(k(WEB_TITLE))}</h1>"
        f'<div class="meta">{esc(k("2024-11-06 09:30　来源：澜川科技观察　记者：方一鸣　实习生：马小月"))}</div>'
        + "".join(parts)
        + f'<div class="tags">{esc(k("标签：人工智能　大模型　智能制造　澜川工业园区"))}</div>'
        + '<div class="related"><b>' + esc(k("相关阅读")) + "</b><ul>"
        + "".join(f"<li>{esc(k(x))}</li>" for x in [
            "澜川市发布制造业数字化转型三年行动计划",
            "工业互联网平台如何帮助小企业降本增效",
            "专家解读：行业大模型的数据从哪里来"])
        + "</ul></div>"
        + f'<div class="foot">{esc(k("© 2024 澜川科技观察 版权所有　未经授权不得转载"))}</div>'
    )
    doc = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(k(WEB_TITLE))} - '
           f'{esc(k("澜川科技观察"))}</title><style>{css}</style></head><body>{body}</body></html>')
    write_src("zh-browser-print.html", doc)
    print_pdf("zh-browser-print.html", "zh-browser-print.pdf", header_footer=True)


# ==========================================================================
# d. zh-no-unicode-map  (all /ToUnicode removed with pypdf)
# ==========================================================================
NOTICE_PARAS = [
    "各区县经济和信息化主管部门，各有关单位：",
    "为加快推进中小企业数字化转型，根据《青漪市中小企业数字化转型行动方案》，市经济和信息化局决定于 "
    "2025 年 4 月至 10 月组织开展中小企业数字化诊断服务。现将有关事项通知如下。",
    "一、服务对象。在青漪市登记注册、具有独立法人资格的工业和信息服务业中小企业，优先支持“专精特新”企业。"
    "全年计划为 600 家企业提供免费诊断服务。",
    "二、服务内容。诊断服务机构将围绕研发设计、生产制造、经营管理和市场营销四个环节，对企业数字化水平进行"
    "评估，并为每家企业出具一份诊断报告和改造建议清单。",
    "三、申报方式。企业可登录青漪市中小企业公共服务平台在线申报，申报截止时间为 2025 年 5 月 31 日。"
    "各区县主管部门应于 6 月 15 日前完成初审。",
    "四、工作要求。各服务机构应严格遵守数据安全有关规定，不得泄露企业商业秘密。市经济和信息化局将对服务"
    "质量进行抽查，抽查比例不低于 10%。",
    "联系人：企业服务处　吴晓岚　联系电话：0000-88886666",
]


def make_no_unicode_map() -> None:
    css = FONT_FACE_CSS + f"""
@page {{ size: A4; margin: 25mm 24mm; }}
body {{ font-family: {CJK_STACK}; font-size: 12pt; line-height: 2; margin: 0; }}
h1 {{ text-align: center; font-size: 18pt; line-height: 1.5; }}
.no {{ text-align: center; font-size: 11pt; margin-bottom: 14pt; }}
p {{ text-indent: 2em; margin: 0 0 6pt; }}
p.first {{ text-indent: 0; }}
.sign {{ text-align: right; margin-top: 24pt; }}
"""
    title = "关于开展 2025 年度中小企业数字化诊断服务的通知"
    body = (f"<h1>{esc(title)}</h1><div class='no'>青经信〔2025〕37 号</div>"
            + f'<p class="first">{esc(NOTICE_PARAS[0])}</p>'
            + "".join(f"<p>{esc(p)}</p>" for p in NOTICE_PARAS[1:])
            + '<div class="sign">青漪市经济和信息化局<br>2025 年 3 月 20 日</div>')
    doc = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>'
           f"<style>{css}</style></head><body>{body}</body></html>")
    write_src("zh-no-unicode-map.html", doc)
    tmp = print_pdf("zh-no-unicode-map.html", "_tmp-no-unicode-map.pdf")

    import pypdf
    from pypdf.generic import NameObject

    reader = pypdf.PdfReader(str(tmp))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    removed = 0
    for page in writer.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            if "/ToUnicode" in font:
                del font[NameObject("/ToUnicode")]
                removed += 1
            for d in font.get("/DescendantFonts", []):
                d = d.get_object()
                if "/ToUnicode" in d:
                    del d[NameObject("/ToUnicode")]
                    removed += 1
    assert removed > 0
    with open(HERE / "zh-no-unicode-map.pdf", "wb") as fh:
        writer.write(fh)
    tmp.unlink()


# ==========================================================================
# e. en-policy-brief.docx
# ==========================================================================
BRIEF_BUDGET = [
    ["Retrofit Apprenticeships", "1,250", "1,480", "1,720"],
    ["Offshore Wind Technicians", "860", "1,120", "1,390"],
    ["Digital Skills for Small Firms", "430", "515", "600"],
    ["Career Changers Bursary", "310", "290", "355"],
    ["Total", "2,850", "3,405", "4,065"],
]


def make_docx() -> None:
    from docx import Document
    from docx.shared import Pt

    d = Document()
    d.core_properties.title = "Port Averley Green Skills Fund: Policy Brief"
    d.core_properties.author = "Port Averley Office for Skills and Enterprise"
    d.add_heading("Port Averley Green Skills Fund: Policy Brief", level=0)
    p = d.add_paragraph("Prepared by the Port Averley Office for Skills and Enterprise · March 2025 · "
                        "Reference OSE/PB/2025-04")
    p.runs[0].italic = True

    d.add_heading("1. Summary", level=1)
    d.add_paragraph(
        "The Green Skills Fund (GSF) was launched in September 2022 to prepare Port Averley residents for jobs "
        "in building retrofit, offshore wind and the wider low-carbon economy. By the end of December 2024 the "
        "fund had supported 4,120 learners across four programmes, with an overall completion rate of 78.5%. "
        "This brief reviews the first two full years of delivery and recommends that the council approve a "
        "2025 allocation of $4.07 million, an increase of 19% on 2024.")
    d.add_paragraph(
        "The evidence so far is encouraging: twelve months after finishing a course, the median participant "
        "earns 14% more than before enrolment, and employers report that GSF graduates need less on-the-job "
        "supervision than other new starters. The main weaknesses are low participation by women and long "
        "waiting lists for the offshore wind course.")

    d.add_heading("2. Background", level=1)
    d.add_heading("2.1 The regional labour market", level=2)
    d.add_paragraph(
        "Port Averley is a harbour city of 312,000 residents. Its unemployment rate was 6.3% in 2024, well above "
        "the national rate of 4.9%, and long-term unemployment is concentrated in the former dockyard wards of "
        "Eastquay and Millbrook. At the same time, local employers in clean-energy trades reported around 1,900 "
        "vacancies that they could not fill in 2024, most of them for electricians, heat-pump installers and "
        "turbine maintenance technicians.")
    d.add_paragraph(
        "The planned Averley Bank offshore wind farm, due to begin construction in 2026, is expected to create "
        "a further 650 permanent operations and maintenance jobs. Without a local training pipeline, most of "
        "these posts are likely to be filled by workers from outside the region.")
    d.add_heading("2.2 Previous programmes", level=2)
    d.add_paragraph(
        "The GSF builds on the Harbour Works Initiative, which ran from 2016 to 2020 and trained 1,150 people in "
        "construction and logistics. An evaluation of that initiative found that short courses without an "
        "employer placement had little lasting effect on earnings, which is why every GSF programme now "
        "includes a paid work placement of at least six weeks.")

    d.add_heading("2.3 Who takes part", level=2)
    d.add_paragraph(
        "In 2024, 23% of GSF participants were women, 41% were aged under 25 and 18% had been unemployed for "
        "more than a year before they enrolled. Participation is highest in Eastquay, which accounts for "
        "roughly a third of all learners, and lowest in the northern suburbs, where few residents know that "
        "the fund exists. Survey responses suggest that the main reasons people give for not applying are "
        "worries about losing benefits during training and a belief that trades courses are 'not for people "
        "like me'. Both points are addressed in the recommendations in Section 5.")
    d.add_heading("3. Programme design", level=1)
    d.add_heading("3.1 Eligibility and support", level=2)
    d.add_paragraph(
        "Any resident aged 18 or over may apply. Priority is given to people who have been unemployed for six "
        "months or more, to care leavers and to veterans. Learners on the Career Changers Bursary receive up to "
        "$3,200 each to cover lost earnings, travel and childcare while they train.")
    d.add_heading("3.2 Delivery partners", level=2)
    d.add_paragraph(
        "Courses are delivered by Averley Technical College and the Northshore Wind Academy, with placements "
        "offered by 27 partner employers. The Offshore Wind Technicians course lasts 22 weeks and includes "
        "sea survival and working-at-height certification; in 2024 it had 3.4 applicants for every place.")

    d.add_heading("4. Budget and outcomes", level=1)
    d.add_paragraph("Table 1 shows spending by programme for 2023 and 2024 and the planned budget for 2025.")
    table = d.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    hdr = ["Programme", "2023 ($ thousand)", "2024 ($ thousand)", "2025 planned ($ thousand)"]
    for cell, text in zip(table.rows[0].cells, hdr):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row in BRIEF_BUDGET:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
        if row[0] == "Total":
            for c in cells:
                c.paragraphs[0].runs[0].bold = True
    cap = d.add_paragraph("Table 1. Green Skills Fund budget by programme and year.")
    cap.runs[0].font.size = Pt(9)
    d.add_paragraph(
        "Outcomes differ by programme. Of the 2024 Offshore Wind Technicians graduates, 62% were employed by a "
        "partner firm within three months, compared with 48% for Digital Skills for Small Firms. Retrofit "
        "Apprenticeships had the highest completion rate of any programme at 86.1%, while the Career Changers "
        "Bursary had the lowest at 64.0%, largely because of learners leaving for early job offers.")
    d.add_paragraph(
        "Across all programmes, the average cost per learner who completed a course in 2024 was $2,460. "
        "This compares well with the Harbour Works Initiative, whose cost per completer was higher in real "
        "terms, and it is in line with similar schemes in other port cities. Costs are highest for the "
        "offshore wind course because of the price of sea survival training and specialist equipment.")

    d.add_heading("5. Recommendations", level=1)
    for text in [
        "Approve the 2025 allocation of $4.07 million, with the largest increase going to Retrofit "
        "Apprenticeships to meet demand from the council's home insulation scheme.",
        "Open a women-in-trades stream with a target of 30% female participation by 2027, supported by "
        "dedicated outreach in Eastquay and Millbrook.",
        "Commission an independent impact evaluation, to be completed by June 2026 at a cost of about "
        "$85,000.",
        "Agree a data-sharing protocol with partner employers so that earnings outcomes can be tracked for "
        "three years after completion rather than one.",
    ]:
        d.add_paragraph(text, style="List Number")
    d.add_paragraph(
        "Contact: Office for Skills and Enterprise, Port Averley City Council, Harbour House, 1 Quay Street.")
    d.save(HERE / "en-policy-brief.docx")


# ==========================================================================
# f. zh-product-slides.pptx
# ==========================================================================
SLIDES = [
    {"layout": "title", "title": "青禾 QH-700 智能灌溉控制器",
     "subtitle": "2025 春季新品发布会\n青禾农业科技有限公司",
     "notes": "开场：欢迎各位经销商和媒体朋友。本次发布会时长约 40 分钟。"},
    {"title": "为什么需要 QH-700",
     "bullets": ["传统大水漫灌：灌溉用水浪费普遍超过三成",
                 ("人工巡田成本高，旺季用工难", 0),
                 ("土壤墒情看不见，凭经验判断误差大", 0),
                 "现有设备痛点",
                 ("布线复杂、断网即停", 1),
                 ("多品牌传感器难以统一管理", 1)],
     "notes": "QH-700 项目研发历时 26 个月，核心研发团队 48 人，累计申请专利 19 项，其中发明专利 7 项。"},
    {"title": "核心功能",
     "bullets": ["多路土壤墒情传感：温度、湿度、电导率实时监测",
                 "AI 灌溉决策：根据天气预报和作物生长期自动生成灌溉计划",
                 "手机 App 远程控制，支持多地块分组管理",
                 "断网本地运行：云端中断后仍可按计划独立运行 72 小时"],
     "notes": "AI 决策模型基于 3 年、覆盖 1.2 万亩的田间试验数据训练，可识别 14 种主要经济作物。"},
    {"title": "技术参数", "table": [
        ["参数", "QH-700 标准版", "QH-700 Pro"],
        ["控制路数", "16 路", "32 路"],
        ["电池续航", "180 天", "240 天"],
        ["防护等级", "IP67", "IP68"],
        ["通信方式", "LoRa", "LoRa + 4G"],
        ["工作温度", "-20～60 ℃", "-30～70 ℃"],
        ["建议零售价", "2,980 元", "4,580 元"]],
     "notes": "两款产品均支持太阳能板补电，Pro 版额外提供气象站扩展接口。"},
    {"title": "试点成果：南塘镇柑橘基地",
     "bullets": ["试点面积 1,350 亩，覆盖 86 户果农",
                 "与传统灌溉相比节水 32%",
                 "柑橘亩产提高 8.5%",
                 "田间管理用工减少 60%"],
     "notes": "试点时间为 2024 年 3 月至 12 月。按当地水电价格计算，试点农户平均每亩每年节省水电费 146 元。"},
    {"title": "市场与渠道",
     "bullets": ["首批覆盖云岭、青漪、澜川等 5 个省份",
                 "签约县级经销商 120 家",
                 "与 3 家农业合作社联盟达成集采协议",
                 "提供“设备 + 服务”按年订阅模式"],
     "notes": "2025 年销量目标为 42,000 台，其中 Pro 版占 30%；订阅服务年费为每台 360 元。"},
    {"title": "价格与上市时间",
     "bullets": ["2025 年 4 月 22 日开启预售，5 月 10 日起正式发货",
                 "预售期间享受早鸟价九折优惠",
                 "整机质保 3 年，传感器质保 2 年",
                 "旧设备以旧换新最高抵扣 500 元"]},
    {"title": "谢谢！",
     "bullets": ["服务热线：400-000-7070", "官网：www.qinghe-agri.example", "微信公众号：青禾智慧农业"]},
]


def make_pptx() -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width = Inches(13.333)
    prs.slide_height = Inches(7.5)
    prs.core_properties.title = "青禾 QH-700 智能灌溉控制器 发布会"
    for s in SLIDES:
        if s.get("layout") == "title":
            slide = prs.slides.add_slide(prs.slide_layouts[0])
            slide.shapes.title.text = s["title"]
            slide.placeholders[1].text = s["subtitle"]
        elif "table" in s:
            slide = prs.slides.add_slide(prs.slide_layouts[5])
            slide.shapes.title.text = s["title"]
            rows = s["table"]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1.5), Inches(1.8),
                                           Inches(10.3), Inches(4.6))
            for i, row in enumerate(rows):
                for j, text in enumerate(row):
                    cell = shape.table.cell(i, j)
                    cell.text = text
                    cell.text_frame.paragraphs[0].runs[0].font.size = Pt(20)
        else:
            slide = prs.slides.add_slide(prs.slide_layouts[1])
            slide.shapes.title.text = s["title"]
            body = slide.placeholders[1]
            body.left, body.top, body.width, body.height = Inches(0.8), Inches(1.7), Inches(11.7), Inches(5.2)
            tf = body.text_frame
            first = True
            for b in s["bullets"]:
                text, level = (b if isinstance(b, tuple) else (b, 0))
                para = tf.paragraphs[0] if first else tf.add_paragraph()
                first = False
                para.text = text
                para.level = level
        if s.get("notes"):
            slide.notes_slide.notes_text_frame.text = s["notes"]
    prs.save(HERE / "zh-product-slides.pptx")


# ==========================================================================
# g. en-city-stats.xlsx
# ==========================================================================
CITY_POP = [
    # district, chinese, population 2024, area km2, households, median age
    ["Donggang", "东港区", 412300, 58.4, 158600, 38.2],
    ["Xiyuan", "西苑区", 287950, 41.7, 109200, 41.5],
    ["Beiling", "北陵区", 198420, 96.3, 72810, 44.1],
    ["Nanhu", "南湖区", 356780, 63.9, 140350, 36.7],
    ["Qiaotou", "桥头区", 143600, 122.5, 51900, 46.3],
    ["Harbourfront", "海滨区", 221050, 29.8, 96400, 34.9],
    ["Old Town", "老城区", 176340, 12.6, 81020, 48.6],
    ["Jinsha", "金沙区", 264410, 77.1, 98770, 35.8],
    ["Riverside", "沿江区", 309880, 54.2, 121940, 37.4],
    ["Shanlan", "山岚区", 95260, 188.4, 35110, 45.2],
    ["Airport New Area", "空港新区", 118930, 146.0, 40280, 31.6],
    ["Lakeshore", "湖畔区", 158700, 67.5, 60150, 39.9],
]
CITY_TRANSIT = [
    # line, chinese, mode, length km, stations, opened, avg weekday ridership
    ["Line 1", "1号线", "Metro", 28.6, 24, 2011, 486000],
    ["Line 2", "2号线", "Metro", 34.2, 27, 2014, 512300],
    ["Line 3", "3号线", "Metro", 19.8, 16, 2019, 218700],
    ["Line 4", "4号线", "Metro", 41.5, 29, 2023, 164200],
    ["Airport Express", "机场快线", "Express rail", 36.1, 6, 2016, 58900],
    ["Tram T1", "有轨电车T1线", "Tram", 14.3, 22, 2018, 41600],
    ["Tram T2", "有轨电车T2线", "Tram", 11.7, 19, 2021, 29300],
    ["BRT Harbour Line", "快速公交海港线", "Bus rapid transit", 22.4, 31, 2015, 73800],
    ["Ferry F1", "轮渡F1线", "Ferry", 6.2, 4, 2009, 12400],
    ["Shanlan Cable Car", "山岚索道", "Cable car", 2.3, 3, 2020, 5100],
]


def make_xlsx() -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Population"
    head = ["District", "Chinese name", "Population (2024)", "Area (km²)", "Households", "Median age"]
    ws.append(head)
    for r in CITY_POP:
        ws.append(r)
    total = ["Lanmere City total", "岚湄市合计", sum(r[2] for r in CITY_POP),
             round(sum(r[3] for r in CITY_POP), 1), sum(r[4] for r in CITY_POP), None]
    ws.append(total)
    ws.append([])
    ws.append(["Source: Lanmere Municipal Statistics Bureau, resident population at 31 December 2024."])
    widths = [20, 14, 18, 12, 13, 12]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(65 + i)].width = w
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in ws.iter_rows(min_row=2, max_row=len(CITY_POP) + 2):
        row[2].number_format = "#,##0"
        row[3].number_format = "0.0"
        row[4].number_format = "#,##0"
    for c in ws[len(CITY_POP) + 2]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A2"

    ws2 = wb.create_sheet("Transit")
    ws2.append(["Line", "Chinese name", "Mode", "Length (km)", "Stations", "Opened",
                "Avg weekday ridership (2024)"])
    for r in CITY_TRANSIT:
        ws2.append(r)
    ws2.append([])
    ws2.append(["Source: Lanmere Transport Authority annual ridership report 2024."])
    for i, w in enumerate([20, 16, 18, 12, 10, 10, 26]):
        ws2.column_dimensions[chr(65 + i)].width = w
    for c in ws2[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="E2EFDA")
    for row in ws2.iter_rows(min_row=2, max_row=len(CITY_TRANSIT) + 1):
        row[3].number_format = "0.0"
        row[6].number_format = "#,##0"
    ws2.freeze_panes = "A2"
    wb.properties.title = "Lanmere City statistics 2024"
    wb.save(HERE / "en-city-stats.xlsx")


# ==========================================================================
# h. zh-news-page.html
# ==========================================================================
NEWS_TITLE = "屿湾海底隧道全线贯通 预计2026年6月建成通车"
NEWS_PARAS = [
    "本报讯（记者 何清扬 通讯员 罗敏）5 月 15 日上午 10 时 18 分，随着最后一节沉管与暗埋段精准对接，"
    "南屿市屿湾海底隧道实现全线贯通。这是南屿市首条跨海通道，建成后，主城区至东岬新区的车程将由目前"
    "绕行环湾公路的约 70 分钟缩短至 15 分钟以内。",
    "屿湾海底隧道西起主城区滨海大道，东至东岬新区望潮路，全长 11.6 公里，其中海底段长 7.9 公里，"
    "采用双向六车道城市快速路标准建设，设计时速 80 公里。项目总投资 186 亿元，于 2021 年 6 月开工建设，"
    "从开工到全线贯通历时 1,420 天。",
    "隧道海底段采用沉管法施工，由 32 节管节组成，标准管节长 180 米，单节最大重量约 7.6 万吨。"
    "隧道最深处位于航道下方，最大埋深达 63 米。项目总工程师介绍，为保证管节在海底的对接精度，"
    "建设团队自主研发了水下智能对接系统，最终接头的对接偏差控制在 2 厘米以内。",
    "在安全保障方面，隧道每隔 250 米设置一处横向逃生通道，全线布设各类监测传感器 1,136 个，"
    "可实时监测结构变形、渗漏水和通风状况。隧道还配备了智能消防系统，火灾报警响应时间不超过 60 秒。",
    "生态保护同样是建设中的重点。施工单位累计投入生态保护资金 2.3 亿元，在海洋生物繁殖期主动调整"
    "施工窗口，并在施工海域设置了 12 个水质自动监测站。监测数据显示，施工期间周边海域水质始终保持在"
    "二类标准以上。",
    "据测算，隧道通车后日均车流量预计可达 5.2 万辆次，将有效缓解环湾公路的交通压力，并带动东岬新区"
    "每年地区生产总值增长约 1.5 个百分点。东岬新区管委会表示，已有 19 个产业项目因隧道建设而选择落户"
    "新区，计划总投资 410 亿元。",
    "下一步，建设单位将全面转入隧道内部装修、机电设备安装和交通工程施工，计划 2026 年 3 月完成全部"
    "主体工程，2026 年 6 月建成通车。",
]


def make_news_html() -> None:
    p = "\n".join(f"      <p>{esc(x)}</p>" for x in NEWS_PARAS)
    doc = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{esc(NEWS_TITLE)}_南屿新闻网</title>
  <meta name="keywords" content="屿湾海底隧道,南屿,东岬新区,跨海通道">
  <meta name="description" content="南屿市屿湾海底隧道5月15日全线贯通，预计2026年6月建成通车。">
  <link rel="stylesheet" href="/static/css/main.css">
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
  <style>
    body {{ font-family: {CJK_STACK}; margin: 0; color: #222; }}
    .topbar {{ background: #b30000; color: #fff; font-size: 13px; padding: 4px 20px; }}
    nav ul {{ list-style: none; display: flex; gap: 18px; padding: 10px 20px; margin: 0; background: #f4f4f4; }}
    .wrap {{ display: flex; gap: 30px; max-width: 1100px; margin: 20px auto; }}
    article {{ flex: 3; }} aside {{ flex: 1; font-size: 14px; }}
    footer {{ font-size: 12px; color: #777; text-align: center; border-top: 1px solid #ddd; padding: 16px; }}
  </style>
</head>
<body>
  <div class="topbar">南屿新闻网 | 南屿日报社主办 | 2025年5月16日 星期五 | <a href="/login">登录</a> <a href="/register">注册</a></div>
  <header class="masthead"><a href="/"><img src="/static/img/logo.png" alt="南屿新闻网"></a>
    <form class="search" action="/search"><input type="text" name="q" placeholder="搜索新闻"><button>搜索</button></form>
  </header>
  <nav>
    <ul>
      <li><a href="/">首页</a></li><li><a href="/yaowen/">要闻</a></li><li><a href="/bendi/">本地</a></li>
      <li><a href="/caijing/">财经</a></li><li><a href="/tiyu/">体育</a></li><li><a href="/wenlv/">文旅</a></li>
      <li><a href="/pinglun/">评论</a></li><li><a href="/shipin/">视频</a></li><li><a href="/epaper/">数字报</a></li>
    </ul>
  </nav>
  <div class="wrap">
    <article>
      <div class="crumb"><a href="/">首页</a> &gt; <a href="/bendi/">本地</a> &gt; 正文</div>
      <h1>{esc(NEWS_TITLE)}</h1>
      <div class="info">2025-05-16 07:45　来源：南屿日报　作者：何清扬　<span class="views">阅读 23581</span></div>
      <figure><img src="/uploads/2025/05/yuwan-tunnel.jpg" alt="屿湾海底隧道贯通现场">
        <figcaption>5月15日，屿湾海底隧道最终接头对接现场。（南屿日报记者 唐舟 摄）</figcaption></figure>
      <div class="content">
{p}
      </div>
      <div class="editor">责任编辑：林晓帆　审核：宋嘉</div>
      <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
    </article>
    <aside>
      <section class="hot">
        <h3>热点排行</h3>
        <ol>
          <li><a href="/bendi/2025-05/15/c_8812.html">南屿国际马拉松报名人数再创新高</a></li>
          <li><a href="/caijing/2025-05/14/c_8790.html">一季度南屿外贸进出口同比增长</a></li>
          <li><a href="/wenlv/2025-05/13/c_8766.html">五一假期南屿接待游客人次公布</a></li>
          <li><a href="/bendi/2025-05/12/c_8741.html">南屿中考体育考试时间确定</a></li>
          <li><a href="/tiyu/2025-05/11/c_8723.html">南屿海港队主场两连胜</a></li>
        </ol>
      </section>
      <section class="ad"><h3>推荐</h3>
        <ul><li><a href="/zhuanti/haiyang/">专题：向海图强看南屿</a></li>
        <li><a href="/zhuanti/wenming/">专题：文明城市创建进行时</a></li>
        <li><a href="/app/">下载南屿新闻客户端</a></li></ul>
      </section>
    </aside>
  </div>
  <footer>
    <p><a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a> | <a href="/ads/">广告服务</a> | <a href="/copyright/">版权声明</a> | <a href="/sitemap/">网站地图</a></p>
    <p>© 2025 南屿日报社 版权所有　未经书面授权禁止转载、摘编、复制或建立镜像</p>
    <p>违法和不良信息举报电话：0000-12345678　南屿网备 0000001 号</p>
  </footer>
  <script src="/static/js/stat.js"></script>
</body>
</html>
"""
    (HERE / "zh-news-page.html").write_text(doc, encoding="utf-8")


# ==========================================================================
# i. en-handbook-long.pdf
# ==========================================================================
HANDBOOK = [
    ("1. Introduction", [
        ("p", "Welcome to the Ferncliff Community Observatory. This handbook explains how the observatory works, "
              "what we expect of volunteers and what you can expect from us. Please read it before your first "
              "shift and keep it for reference; the current edition replaces all earlier versions."),
        ("p", "The observatory was founded in 1987 by the Ferncliff Astronomical Society and has been run as a "
              "charitable trust since 2004. It exists to give the public direct access to the night sky, to "
              "support science education in local schools, and to contribute observations to amateur and "
              "professional research programmes."),
        ("p", "Volunteers are the heart of the observatory. Around 140 active volunteers help us open to the "
              "public, teach, maintain the instruments and keep the site safe. In 2024 the observatory welcomed "
              "9,400 visitors, ran 96 public nights and hosted 31 school groups."),
        ("h2", "1.1 How to use this handbook"),
        ("p", "Sections 2 and 3 describe the site and the volunteer roles. Sections 4 to 6 cover safety, "
              "training and scheduling, which every volunteer must know. Sections 7 and 8 deal with equipment, "
              "research programmes, expenses and contacts. Words in bold are defined in the glossary kept in "
              "the volunteer room."),
    ]),
    ("2. Site and Facilities", [
        ("h2", "2.1 Location and access"),
        ("p", "The observatory stands on Ridley Hill, 412 metres above sea level and 18 km north of Ferncliff town "
              "centre. The access road is single-track for the last 2.5 km; drive slowly and use the passing "
              "places. The car park has 40 spaces, four of which are reserved for blue-badge holders."),
        ("p", "The main gate is locked outside opening hours. Volunteers receive the gate code by text message "
              "on the first day of each month. Never share the code with visitors or write it on the gate post."),
        ("h2", "2.2 Telescopes and instruments"),
        ("p", "Our main instrument is the 0.6 m Ritchey–Chrétien reflector known as the Halloran Telescope, "
              "installed in the north dome in 2019. The south dome houses two 0.35 m Schmidt–Cassegrain "
              "telescopes on a shared mount, used mainly for public viewing. A hydrogen-alpha solar telescope "
              "is available for daytime events and is the only instrument that may be pointed at the Sun."),
        ("h2", "2.3 Buildings"),
        ("p", "Besides the two domes, the site has a visitor centre with a 60-seat lecture room, a volunteer room "
              "with lockers, a small workshop and a weather station. The visitor centre is heated; the domes "
              "are not, so dress for the outdoor temperature."),
    ]),
    ("3. Volunteer Roles", [
        ("h2", "3.1 Public night guide"),
        ("p", "Guides welcome visitors, give the introductory sky tour with a green laser pointer and help "
              "visitors at the eyepiece. Guides do not operate the Halloran Telescope unless they also hold an "
              "operator certificate (see Section 5)."),
        ("h2", "3.2 Outreach and schools"),
        ("p", "Outreach volunteers run daytime sessions in schools and libraries using the portable planetarium "
              "and the solar telescope. The outreach team currently works with 62 schools across the district."),
        ("h2", "3.3 Technical crew"),
        ("p", "The technical crew maintains the telescopes, cameras, computers and dome mechanics. Crew members "
              "carry out the monthly dome inspection and are the only volunteers permitted to open telescope "
              "covers for maintenance."),
        ("h2", "3.4 Front of house"),
        ("p", "Front-of-house volunteers run the ticket desk, the shop and the café, and act as the first point "
              "of contact for visitors who need help or feel unwell."),
    ]),
    ("4. Safety", [
        ("h2", "4.1 Night-time operations"),
        ("p", "Only red lights may be used outdoors and in the domes after sunset. At least two volunteers must be "
              "on site whenever the observatory is open, and no volunteer may work alone in a dome at night. "
              "The senior volunteer on duty keeps the site log and the master key."),
        ("h2", "4.2 Weather limits"),
        ("p", "The dome shutters must be closed when the sustained wind speed exceeds 45 km/h, when relative "
              "humidity rises above 85%, or when rain is detected by the weather station. If a thunderstorm is "
              "forecast within 30 km, all public activities outdoors are suspended."),
        ("h2", "4.3 Incidents and first aid"),
        ("p", "First-aid kits are kept in the visitor centre, the volunteer room and the north dome. Every incident "
              "or near miss must be reported on form F-12 within 24 hours. At least one volunteer with a current "
              "first-aid certificate must be on duty on every public night."),
    ]),
    ("5. Training and Certification", [
        ("h2", "5.1 Induction"),
        ("p", "All new volunteers attend a three-hour induction covering the site, safety rules, safeguarding and "
              "the booking system. You may shadow experienced volunteers after induction, but you may not lead "
              "any activity until your induction record has been signed by the volunteer coordinator."),
        ("h2", "5.2 Telescope operator certificate"),
        ("p", "To operate the Halloran Telescope without supervision you must complete 12 supervised observing "
              "sessions, pass a written test with a mark of at least 80%, and demonstrate a safe start-up and "
              "shut-down to a senior operator. The two 0.35 m telescopes require four supervised sessions."),
        ("h2", "5.3 Renewal"),
        ("p", "Operator certificates remain valid for 24 months. To renew, an operator must have logged at least "
              "ten sessions in the period and attend a refresher evening, held each October."),
    ]),
    ("6. Scheduling and Hours", [
        ("h2", "6.1 Minimum commitment"),
        ("p", "We ask every volunteer to give at least 18 hours per quarter. Hours spent on training, outreach "
              "and maintenance all count towards this minimum. Volunteers who cannot meet it for a period can "
              "request a temporary break from the coordinator."),
        ("h2", "6.2 Booking shifts"),
        ("p", "Shifts are booked through the online rota, which opens six weeks in advance. Public nights run on "
              "Fridays and Saturdays, starting at 19:30 from October to March and at 21:00 from April to "
              "September. If you have to cancel a shift, give at least 48 hours' notice so that a replacement "
              "can be found."),
    ]),
    ("7. Equipment Care and Research", [
        ("h2", "7.1 Caring for the instruments"),
        ("p", "Never touch optical surfaces. The primary mirror of the Halloran Telescope is cleaned once a year, "
              "in March, by the technical crew only. Dew heaters must be switched on before the covers are "
              "removed, and the telescope must be parked and covered before the dome is closed."),
        ("h2", "7.2 Research programmes"),
        ("p", "The observatory contributes to three long-running programmes. The variable-star programme "
              "monitors 137 stars and submits its measurements to the national database every month. The comet "
              "watch records the brightness of periodic comets, and the meteor camera network operates five "
              "all-sky cameras on the roof of the visitor centre."),
        ("p", "Volunteers who would like to take part in research should first complete the operator certificate "
              "and then contact the research lead, who runs a data-reduction workshop twice a year."),
    ]),
    ("8. Expenses, Insurance and Contacts", [
        ("h2", "8.1 Expenses"),
        ("p", "Travel to and from the observatory is reimbursed at $0.42 per kilometre for volunteers using their "
              "own car. Claims must be submitted within 60 days using the online expenses form; receipts are "
              "needed for parking, public transport and materials."),
        ("h2", "8.2 Insurance"),
        ("p", "The trust's insurance covers registered volunteers aged 16 to 80 while they are on duty. Volunteers "
              "outside this age range can still help, but must be accompanied by a registered volunteer."),
        ("h2", "8.3 Contacts"),
        ("p", "Volunteer coordinator: Maya Okonkwo-Reyes, telephone extension 214. Research lead: Dr Tomas "
              "Lindqvist-Hart. Out-of-hours emergencies: call the senior volunteer on duty, whose number is "
              "posted inside the volunteer room door."),
    ]),
]


def make_handbook() -> None:
    css = """
@page { size: A4; margin: 22mm 22mm 22mm 22mm; }
body { font-family: "Liberation Serif", "DejaVu Serif", serif; font-size: 12pt; line-height: 1.55; margin: 0; }
h1, h2 { font-family: "Liberation Sans", "DejaVu Sans", sans-serif; }
.cover { text-align: center; padding-top: 70mm; break-after: page; }
.cover .t1 { font-size: 28pt; font-weight: 700; }
.cover .t2 { font-size: 20pt; margin: 8mm 0 90mm; }
.cover .t3 { font-size: 12pt; color: #444; }
section { break-before: page; }
section:first-of-type { break-before: auto; }
h1 { font-size: 18pt; border-bottom: 1pt solid #333; padding-bottom: 3pt; }
h2 { font-size: 13.5pt; margin: 14pt 0 4pt; }
p { margin: 0 0 8pt; text-align: justify; }
"""
    cover = ('<div class="cover"><div class="t1">Ferncliff Community Observatory</div>'
             '<div class="t2">Volunteer Handbook</div>'
             '<div class="t3">2025 edition · approved by the Board of Trustees, 14 January 2025<br>'
             'Document FCO-VH-2025 · for internal use by registered volunteers</div></div>')
    secs = "".join(f"<section><h1>{esc(t)}</h1>{blocks_html(b)}</section>" for t, b in HANDBOOK)
    doc = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
           "<title>Ferncliff Community Observatory - Volunteer Handbook 2025</title>"
           f"<style>{css}</style></head><body>{cover}{secs}</body></html>")
    write_src("en-handbook-long.html", doc)
    print_pdf("en-handbook-long.html", "en-handbook-long.pdf")


# ==========================================================================
# gold questions
# ==========================================================================
# where: "table" | "abstract" | "second-column"/"first-column" (set from the measured
# x position for doc zh-two-column-paper, written as "column" below) | "body" | "notes" | "list"
# anchors: strings as they appear in the document (compared after norm()); used to
# find PDF pages and to check the fact is really in the document.
def Q(doc, lang, where, question, key_facts, answer, anchors, slide=None, sheet=None):
    return dict(doc=doc, lang=lang, where=where, question=question, key_facts=key_facts,
                answer=answer, anchors=anchors, slide=slide, sheet=sheet, answerable=True)


def U(doc, lang, question, near):
    # near: a string that IS in the document, to make sure the topic is plausible
    return dict(doc=doc, lang=lang, where="none", question=question, key_facts=[], answer="",
                anchors=[], near=near, slide=None, sheet=None, answerable=False)


P, R, B, D = "zh-two-column-paper", "zh-annual-report", "zh-browser-print", "en-policy-brief"
S, X, N, H = "zh-product-slides", "en-city-stats", "zh-news-page", "en-handbook-long"

GOLD = [
    # ---- a. two-column paper -------------------------------------------------
    Q(P, "zh", "column", "TIDE-2 框架里的负荷预测模型在 2023 年测试数据上的平均绝对百分比误差是多少？",
      [["2.91%"]], "负荷预测模型（GTCN）在 2023 年测试集上的 MAPE 为 2.91%。", ["MAPE）为2.91%"]),
    Q(P, "zh", "column", "东临市的调度模型用 HiGHS 求解一次平均要多久？",
      [["4.7秒", "4.7 秒", "4.7 s", "4.7 seconds"]], "单次平均求解时间为 4.7 秒。", ["单次平均求解时间为4.7秒"]),
    Q(P, "zh", "column", "参与协同调度的储能站点按什么标准获得补偿？",
      [["0.18元", "0.18 元", "0.18 yuan"]], "按实际调峰贡献补偿，标准为每千瓦时 0.18 元。", ["每千瓦时0.18元"]),
    Q(P, "zh", "column", "和规则调度比，TIDE-2 每年能省下多少调峰成本？",
      [["2,360万元", "2360万元", "2,360 万元", "23.6 million", "2360万"]],
      "与规则调度相比，每年可节约调峰成本 2,360 万元。", ["节约调峰成本2,360万元"]),
    Q(P, "zh", "column", "2022 年那次强台风期间有多少座储能站点因为通信中断退出了协同？",
      [["83座", "83 座", "83"]], "共有 83 座站点因通信中断退出协同。", ["83座站点因通信中断"]),
    Q(P, "zh", "column", "协同调度每年能多消纳多少清洁电量？",
      [["1.94亿千瓦时", "1.94 亿千瓦时", "194 million kWh", "1.94亿"]],
      "弃风弃光率下降后，每年多消纳清洁电量 1.94 亿千瓦时。", ["1.94亿千瓦时"]),
    Q(P, "en", "column", "How many automatic weather stations supplied the meteorological data for the Donglin energy-storage study?",
      [["47"]], "The weather data came from 47 automatic weather stations of the Donglin Marine Meteorological Observatory.",
      ["47个自动气象站"]),
    Q(P, "zh", "column", "东临市主网架里有多少座 220 千伏变电站？",
      [["64座", "64 座", "64"]], "东临市主网架包括 64 座 220 千伏变电站。", ["64座220千伏变电站"]),
    Q(P, "zh", "column", "采用协同调度后，储能电池的等效循环寿命预计能延长多少？",
      [["11%", "约11%"]], "由于充放电深度更均衡，等效循环寿命预计延长约 11%。", ["延长约11%"]),
    Q(P, "en", "column", "Where does the Donglin research team plan to run its one-year field demonstration of TIDE-2?",
      [["滨江新区", "Binjiang New District", "Binjiang"]],
      "In Donglin's Binjiang New District (滨江新区), starting in 2025.", ["滨江新区"]),
    Q(P, "zh", "table", "东临市工业园区业主的储能站点有多少座？",
      [["512座", "512 座", "512"]], "工业园区站点共 512 座（额定容量 824 兆瓦时）。", ["工业园区51282447.3"]),
    Q(P, "zh", "column", "在 8 月 3 日那天的晚高峰，储能集中放电的最大功率是多少？",
      [["612兆瓦", "612 兆瓦", "612 MW"]], "晚高峰期间最大放电功率为 612 兆瓦。", ["最大放电功率为612兆瓦"]),
    Q(P, "zh", "table", "表 2 中集中优化方式的年调峰成本是多少万元？",
      [["8,120", "8120", "81.2 million"]], "集中优化方式的年调峰成本为 8,120 万元。", ["8,120"]),
    Q(P, "en", "abstract", "By how much did TIDE-2 reduce the city's average daily peak-valley difference compared with the baseline?",
      [["17.4%"]], "It cut the average daily peak-valley difference by 17.4% (from 412 MW to 340 MW).",
      ["日均峰谷差降低17.4%", "降幅为17.4%"]),
    # ---- b. annual report ----------------------------------------------------
    Q(R, "zh", "body", "青漪湾数字经济研究院有多少名职工拥有博士学位？",
      [["142人", "142 人", "142"]], "具有博士学位的职工有 142 人。", ["博士学位的142人"]),
    Q(R, "zh", "body", "青漪市公共数据开放平台到 2024 年底一共开放了多少个数据集？",
      [["16616个", "16616", "16,616"]], "累计开放数据集 16616 个。", ["16616个"]),
    Q(R, "zh", "table", "“算力调度与绿色数据中心”这个项目总预算有多少？",
      [["5,620万元", "5620万元", "5,620", "5620", "56.2 million"]], "该项目总预算为 5,620 万元。",
      ["算力调度与绿色数据中心郑彦之2024—20275,620"]),
    Q(R, "zh", "table", "2022 年研究院登记了多少项软件著作权？",
      [["44项", "44 项", "44"]], "2022 年软件著作权登记 44 项。", ["软件著作权登记（项）31445871"]),
    Q(R, "zh", "table", "研究院 2024 年拿到的财政拨款收入是多少？",
      [["16,450万元", "16450万元", "16,450", "1.645亿元", "164.5 million"]], "2024 年财政拨款收入为 16,450 万元。",
      ["财政拨款收入16,450"]),
    Q(R, "zh", "body", "数字化转型诊断模型项目 2024 年给多少家企业做了现场诊断？",
      [["327家", "327 家", "327"]], "2024 年为 327 家企业提供了现场诊断服务。", ["为327家企业提供了现场诊断"]),
    Q(R, "zh", "body", "湾区智算中心的年均 PUE 是多少？",
      [["1.19"]], "湾区智算中心年均电能利用效率（PUE）为 1.19。", ["（PUE）为1.19"]),
    Q(R, "zh", "body", "研究院给 2025 年定的总收入目标是多少？",
      [["4.1亿元", "4.1 亿元", "4.1亿", "410 million"]], "2025 年力争实现总收入 4.1 亿元。", ["总收入4.1亿元"]),
    Q(R, "en", "body", "How many people attended the fifth Qingyi Bay Digital Economy Forum in person?",
      [["1,860", "1860"]], "1,860 people attended the forum in person.", ["线下参会人数达1,860人"]),
    Q(R, "en", "body", "What was the Qingyi Bay Institute of Digital Economy's total income in 2024?",
      [["3.82亿元", "3.82亿", "382 million", "38,200万元", "38,200", "0.382 billion"]],
      "Its total income in 2024 was 382 million yuan (3.82亿元).", ["3.82亿元", "38,200"]),
    Q(R, "zh", "list", "湾区智算中心二期是哪一天正式投运的？",
      [["4月18日", "4 月 18 日", "April 18", "18 April"]], "湾区智算中心二期工程于 2024 年 4 月 18 日正式投运。",
      ["4月18日，湾区智算中心二期工程正式投运"]),
    Q(R, "zh", "body", "港口物流数字孪生系统上线后，集卡平均要等多久？",
      [["26分钟", "26 分钟", "26 minutes"]], "集卡平均等待时间由 38 分钟缩短至 26 分钟。", ["缩短至26分钟"]),
    # ---- c. browser print (Kangxi radicals) -----------------------------------
    Q(B, "zh", "body", "澜川工业园区有多少家企业已经在生产环节用上了大模型？",
      [["63家", "63 家", "63"]], "已有 63 家企业在生产环节部署了人工智能大模型应用。", ["63家企业在生产环节"]),
    Q(B, "zh", "body", "园区和澜川大学一起发布的行业大模型叫什么名字？",
      [["澜川·匠心", "澜川匠心", "匠心"]], "行业大模型名为“澜川·匠心”。", ["大模型“澜川·匠心”"]),
    Q(B, "zh", "body", "恒远精密机械用了视觉检测之后，缺陷检出率提高到了多少？",
      [["98.6%"]], "缺陷检出率由 91.2% 提升至 98.6%。", ["提升至98.6%"]),
    Q(B, "en", "body", "How big is the special AI fund set up by the Lanchuan industrial park?",
      [["2.5亿元", "2.5亿", "250 million", "0.25 billion"]], "The park set up a special AI fund of 250 million yuan (2.5亿元).",
      ["总规模2.5亿元"]),
    Q(B, "zh", "body", "园区一共培训了多少人次的一线工人？",
      [["2,870人次", "2870人次", "2,870", "2870"]], "累计培训一线工人 2,870 人次。", ["一线工人2,870人次"]),
    # ---- e. docx ---------------------------------------------------------------
    Q(D, "zh", "table", "Port Averley 绿色技能基金 2025 年给海上风电技术员项目的计划预算是多少？",
      [["1,390", "1390", "139万", "1.39 million", "$1.39"]], "2025 年计划预算为 1,390 千美元（约 139 万美元）。",
      ["Offshore Wind Technicians8601,1201,390"]),
    Q(D, "en", "body", "What is the overall completion rate of the Green Skills Fund?",
      [["78.5%"]], "The overall completion rate is 78.5%.", ["completion rate of 78.5%"]),
    Q(D, "en", "body", "What is the maximum support a learner on the Career Changers Bursary can get?",
      [["$3,200", "3,200", "3200"]], "Each learner can receive up to $3,200.", ["$3,200 each"]),
    Q(D, "zh", "body", "截至 2024 年底，绿色技能基金一共支持了多少名学员？",
      [["4,120", "4120"]], "截至 2024 年底共支持 4,120 名学员。", ["4,120 learners"]),
    Q(D, "en", "body", "How many clean-energy trade vacancies could Port Averley employers not fill in 2024?",
      [["1,900", "1900"]], "Around 1,900 vacancies went unfilled.", ["around 1,900 vacancies"]),
    # ---- f. pptx ---------------------------------------------------------------
    Q(S, "zh", "table", "QH-700 Pro 的电池续航有多久？",
      [["240天", "240 天", "240 days"]], "QH-700 Pro 电池续航 240 天。", ["240 天"], slide=4),
    Q(S, "zh", "notes", "QH-700 前后研发了多长时间？",
      [["26个月", "26 个月", "26 months"]], "研发历时 26 个月。", ["研发历时 26 个月"], slide=2),
    Q(S, "en", "notes", "What is Qinghe's 2025 sales target for the QH-700 controller?",
      [["42,000", "42000", "4.2万", "4.2 万"]], "The 2025 sales target is 42,000 units, 30% of them Pro.",
      ["42,000 台"], slide=6),
    Q(S, "zh", "body", "南塘镇试点里，QH-700 相比传统灌溉节水多少？",
      [["32%"]], "与传统灌溉相比节水 32%。", ["节水 32%"], slide=5),
    Q(S, "en", "table", "What is the suggested retail price of the standard QH-700?",
      [["2,980", "2980"]], "The standard QH-700 has a suggested retail price of 2,980 yuan.", ["2,980 元"], slide=4),
    Q(S, "zh", "body", "QH-700 从哪天开始预售？",
      [["4月22日", "4 月 22 日", "April 22", "22 April"]], "2025 年 4 月 22 日开启预售。", ["4 月 22 日开启预售"], slide=7),
    # ---- g. xlsx ---------------------------------------------------------------
    Q(X, "en", "table", "What was the population of Nanhu district in 2024?",
      [["356,780", "356780", "35.678万"]], "Nanhu district had 356,780 residents in 2024.", [356780], sheet="Population"),
    Q(X, "zh", "table", "岚湄市地铁 4 号线有多长？",
      [["41.5"]], "4 号线长 41.5 公里。", [41.5], sheet="Transit"),
    Q(X, "zh", "table", "老城区居民的年龄中位数是多少岁？",
      [["48.6"]], "老城区（Old Town）年龄中位数为 48.6 岁。", [48.6], sheet="Population"),
    Q(X, "en", "table", "In which year did Lanmere's Tram T2 line open?",
      [["2021"]], "Tram T2 opened in 2021.", [2021], sheet="Transit"),
    Q(X, "mixed", "table", "Lanmere 的 Line 2 工作日平均客流是多少？",
      [["512,300", "512300", "51.23万"]], "Line 2 工作日平均客流为 512,300 人次。", [512300], sheet="Transit"),
    # ---- h. news html ----------------------------------------------------------
    Q(N, "zh", "body", "屿湾海底隧道全长多少公里？",
      [["11.6公里", "11.6 公里", "11.6 km", "11.6"]], "隧道全长 11.6 公里，其中海底段 7.9 公里。", ["全长 11.6 公里"]),
    Q(N, "zh", "body", "屿湾海底隧道这个项目一共投了多少钱？",
      [["186亿元", "186 亿元", "186亿", "18.6 billion"]], "项目总投资 186 亿元。", ["总投资 186 亿元"]),
    Q(N, "en", "body", "How many immersed tube segments make up the undersea section of the Yuwan tunnel?",
      [["32"]], "The immersed section consists of 32 tube segments.", ["由 32 节管节组成"]),
    Q(N, "zh", "body", "屿湾隧道贯通时，从开工算起用了多少天？",
      [["1,420天", "1420天", "1,420", "1420"]], "从开工到全线贯通历时 1,420 天。", ["历时 1,420 天"]),
    # ---- i. handbook -------------------------------------------------------------
    Q(H, "en", "body", "Above what wind speed must the observatory's dome shutters be closed?",
      [["45 km/h", "45km/h", "45"]], "The shutters must be closed when sustained wind exceeds 45 km/h.", ["exceeds 45 km/h"]),
    Q(H, "en", "body", "How many supervised sessions are needed before a volunteer may operate the Halloran Telescope alone?",
      [["12"]], "A volunteer must complete 12 supervised observing sessions.", ["complete 12 supervised"]),
    Q(H, "zh", "body", "天文台要求志愿者每个季度至少服务多少小时？",
      [["18小时", "18 小时", "18 hours", "18"]], "每季度至少服务 18 小时。", ["at least 18 hours per quarter"]),
    Q(H, "zh", "body", "天文台的变星监测项目一共监测多少颗星？",
      [["137"]], "变星监测项目监测 137 颗星。", ["monitors 137 stars"]),
    Q(H, "en", "body", "At what rate is volunteer car mileage reimbursed?",
      [["$0.42", "0.42"]], "Mileage is reimbursed at $0.42 per kilometre.", ["$0.42 per kilometre"]),
    Q(H, "zh", "body", "天文台所在的 Ridley Hill 海拔多少米？",
      [["412米", "412 米", "412 metres", "412 m", "412"]], "天文台位于海拔 412 米的 Ridley Hill 上。",
      ["412 metres above sea level"]),
    # ---- unanswerable ------------------------------------------------------------
    U(R, "zh", "青漪湾数字经济研究院 2024 年在职职工中女性占比是多少？", "在职职工386人"),
    U(P, "zh", "TIDE-2 在东临市冬季用电高峰期的峰谷差削减幅度是多少？", "2023年6—9月为测试期"),
    U(D, "en", "How much did the Green Skills Fund spend on the Offshore Wind Technicians programme in 2022?",
      "Offshore Wind Technicians"),
    U(S, "zh", "QH-700 Pro 整机重量是多少公斤？", "QH-700 Pro"),
    U(X, "en", "What is the unemployment rate in Nanhu district?", "Nanhu"),
    U(N, "en", "How much will a car pay in tolls to use the Yuwan undersea tunnel?", "屿湾海底隧道"),
]


# ==========================================================================
# verification
# ==========================================================================
def pdf_pages(path: Path) -> list[dict]:
    """Per page: raw text (get_text_range), normalised text, and (norm char -> x) map."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(str(path))
    pages = []
    for i in range(len(doc)):
        page = doc[i]
        tp = page.get_textpage()
        text = tp.get_text_range()
        normed, xs = [], []
        for ci in range(tp.count_chars()):
            c = chr(pdfium_c.FPDFText_GetUnicode(tp.raw, ci))
            piece = norm(c)
            if not piece:
                continue
            left = tp.get_charbox(ci)[0]
            for ch in piece:
                normed.append(ch)
                xs.append(left)
        pages.append(dict(text=text, norm=norm(text), cnorm="".join(normed), xs=xs,
                          width=page.get_width()))
        tp.close()
        page.close()
    doc.close()
    return pages


def docx_text() -> tuple[str, str]:
    from docx import Document

    d = Document(HERE / "en-policy-brief.docx")
    body = "\n".join(p.text for p in d.paragraphs)
    tables = "\n".join(" ".join(c.text for c in row.cells) for t in d.tables for row in t.rows)
    return body, tables


def pptx_text() -> dict[int, dict[str, str]]:
    from pptx import Presentation

    out = {}
    for n, slide in enumerate(Presentation(HERE / "zh-product-slides.pptx").slides, start=1):
        body, table = [], []
        for sh in slide.shapes:
            if sh.has_text_frame:
                body.append(sh.text_frame.text)
            if getattr(sh, "has_table", False) and sh.has_table:
                for row in sh.table.rows:
                    table.append(" ".join(c.text for c in row.cells))
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        out[n] = {"body": "\n".join(body), "table": "\n".join(table), "notes": notes}
    return out


def xlsx_values() -> dict[str, list]:
    from openpyxl import load_workbook

    wb = load_workbook(HERE / "en-city-stats.xlsx")
    return {ws.title: [c.value for row in ws.iter_rows() for c in row if c.value is not None]
            for ws in wb.worksheets}


def html_text() -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((HERE / "zh-news-page.html").read_text(encoding="utf-8"), "html.parser")
    return soup.find("article").get_text("\n")


def verify_and_write_gold() -> dict:
    problems = []
    pdfs = {name: pdf_pages(HERE / f"{name}.pdf") for name in
            (P, R, B, H, "zh-no-unicode-map")}
    dbody, dtable = docx_text()
    slides = pptx_text()
    cells = xlsx_values()
    news = html_text()

    def doc_fulltext(doc: str) -> str:
        if doc in pdfs:
            return "".join(p["norm"] for p in pdfs[doc])
        if doc == D:
            return norm(dbody + dtable)
        if doc == S:
            return norm("".join(v for s in slides.values() for v in s.values()))
        if doc == X:
            return norm(" ".join(f"{v} {v:,}" if isinstance(v, (int, float)) else str(v)
                                 for vs in cells.values() for v in vs))
        if doc == N:
            return norm(news)
        raise KeyError(doc)

    records = []
    for g in GOLD:
        doc, where, pages = g["doc"], g["where"], []
        if not g["answerable"]:
            if norm(g["near"]) not in doc_fulltext(doc):
                problems.append(f"{g['question']}: topic string {g['near']!r} not in {doc}")
        elif doc in pdfs:
            anchors = [norm(a) for a in g["anchors"]]
            for i, pg in enumerate(pdfs[doc], start=1):
                if any(a in pg["norm"] for a in anchors):
                    pages.append(i)
            if not pages:
                problems.append(f"{g['question']}: anchors {g['anchors']} not found in {doc}")
            if where == "column":
                cols = set()
                for pg in pdfs[doc]:
                    start = pg["cnorm"].find(anchors[0])
                    while start >= 0:
                        cols.add("second-column" if pg["xs"][start] > pg["width"] / 2 else "first-column")
                        start = pg["cnorm"].find(anchors[0], start + 1)
                if len(cols) != 1:
                    problems.append(f"{g['question']}: column undetermined {cols}")
                    where = "body"
                else:
                    where = cols.pop()
        elif doc == D:
            hay = norm(dtable if where == "table" else dbody)
            if not all(norm(a) in hay for a in g["anchors"]):
                problems.append(f"{g['question']}: anchors not in docx {where}")
        elif doc == S:
            part = {"notes": "notes", "table": "table"}.get(where, "body")
            if not all(norm(a) in norm(slides[g["slide"]][part]) for a in g["anchors"]):
                problems.append(f"{g['question']}: anchors not on slide {g['slide']} {part}")
        elif doc == X:
            if not all(a in cells[g["sheet"]] for a in g["anchors"]):
                problems.append(f"{g['question']}: value not in sheet {g['sheet']}")
        elif doc == N:
            if not all(norm(a) in norm(news) for a in g["anchors"]):
                problems.append(f"{g['question']}: anchors not in news article")
        if g["answerable"]:
            full = doc_fulltext(doc)
            for fact in g["key_facts"]:
                if not any(norm(f) in full for f in fact):
                    problems.append(f"{g['question']}: no form of {fact} in {doc}")
        rec = dict(question=g["question"], lang=g["lang"], answerable=g["answerable"],
                   key_facts=g["key_facts"], doc=doc, pages=pages, answer=g["answer"], where=where)
        if g["slide"] is not None:
            rec["slide"] = g["slide"]
        if g["sheet"] is not None:
            rec["sheet"] = g["sheet"]
        records.append(rec)

    # splits: alternate inside each (doc, lang) group, odd leftovers go to the smaller split
    groups: dict[tuple, list] = {}
    for r in records:
        key = ("unanswerable",) if not r["answerable"] else (r["doc"], r["lang"])
        groups.setdefault(key, []).append(r)
    count = {"tune": 0, "test": 0}
    for members in groups.values():
        first = "tune" if count["tune"] <= count["test"] else "test"
        other = "test" if first == "tune" else "tune"
        for i, r in enumerate(members):
            r["split"] = first if i % 2 == 0 else other
            count[r["split"]] += 1
    # ids
    seq: dict[str, int] = {}
    out_lines = []
    for r in records:
        lang = {"zh": "zh", "en": "en", "mixed": "mx"}[r["lang"]]
        seq[lang] = seq.get(lang, 0) + 1
        rid = f"doc-{lang}-{seq[lang]:02d}"
        ordered = {"id": rid, "question": r["question"], "lang": r["lang"], "answerable": r["answerable"],
                   # The indexed id of a PDF, Word, web, slide or sheet file keeps its extension.
                   "key_facts": r["key_facts"], "doc": _file_name(r["doc"]), "pages": r["pages"], "answer": r["answer"],
                   "split": r["split"], "where": r["where"]}
        for k in ("slide", "sheet"):
            if k in r:
                ordered[k] = r[k]
        out_lines.append(json.dumps(ordered, ensure_ascii=False))
    (HERE / "gold.jsonl").write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    return dict(problems=problems, pdfs=pdfs, records=records)


def check_pdfs(pdfs: dict) -> list[str]:
    problems = []
    n = {k: len(v) for k, v in pdfs.items()}
    if not 3 <= n[P] <= 4:
        problems.append(f"paper has {n[P]} pages")
    if n[R] < 12:
        problems.append(f"report has {n[R]} pages")
    if not 2 <= n[B] <= 3:
        problems.append(f"browser print has {n[B]} pages")
    if n[H] < 8:
        problems.append(f"handbook has {n[H]} pages")
    if not 1 <= n["zh-no-unicode-map"] <= 2:
        problems.append(f"no-unicode-map has {n['zh-no-unicode-map']} pages")
    for i, pg in enumerate(pdfs[R], start=1):
        if norm(REPORT_HEADER) not in pg["norm"] or norm(f"第{i}页") not in pg["norm"]:
            problems.append(f"report page {i} lacks running header/footer")
    kangxi = sum(1 for pg in pdfs[B] for c in pg["text"] if 0x2E80 <= ord(c) <= 0x2FDF)
    if kangxi < 50:
        problems.append(f"browser print has only {kangxi} radical look-alikes")
    bad = pdfs["zh-no-unicode-map"]
    if any(w in pg["text"] for pg in bad for w in ("数字化", "诊断", "企业")):
        problems.append("no-unicode-map still extracts Chinese text")
    return problems


def main() -> None:
    _check_radicals()
    SRC.mkdir(exist_ok=True)
    try:
        build_fonts(Path(__file__).read_text(encoding="utf-8"))
        make_paper()
        make_report()
        make_browser_print()
        make_no_unicode_map()
        make_handbook()
    finally:
        shutil.rmtree(FONTS, ignore_errors=True)
    make_docx()
    make_pptx()
    make_xlsx()
    make_news_html()

    res = verify_and_write_gold()
    problems = res["problems"] + check_pdfs(res["pdfs"])
    n_second = sum(1 for r in res["records"] if r["where"] == "second-column")
    if n_second < 4:
        problems.append(f"only {n_second} questions in the second column")
    total = 0
    for f in sorted(HERE.iterdir()):
        if f.is_file() and f.suffix in (".pdf", ".docx", ".pptx", ".xlsx", ".html", ".jsonl"):
            size = f.stat().st_size
            total += size
            pages = len(res["pdfs"][f.stem]) if f.stem in res["pdfs"] else ""
            print(f"{f.name:28s} {size / 1024:8.1f} KB  {pages}")
            if size > 320 * 1024:
                problems.append(f"{f.name} is {size / 1024:.0f} KB")
    print(f"{'total':28s} {total / 1024:8.1f} KB")
    recs = res["records"]
    from collections import Counter
    print("questions:", len(recs), dict(Counter(r["lang"] for r in recs)),
          dict(Counter(r["split"] for r in recs)), dict(Counter(r["where"] for r in recs)))
    if problems:
        print("PROBLEMS:")
        for p in problems:
            print("  -", p)
        sys.exit(1)


if __name__ == "__main__":
    main()
