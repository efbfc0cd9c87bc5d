"""Language data, each table defined once and named for what it is: punctuation, numerals, units
and measure words, hedges, time and period cues, and the closed classes questions are built from
(interrogatives, operations, connectives). Every stage that needs one imports it from here.

Matching is done on the normalized form (NFKC, Simplified, lower case; see ``corpus.lang``), so
every Chinese entry here is Simplified.
"""
from __future__ import annotations

import re

# --- punctuation -------------------------------------------------------------------------------
CLAUSE_MARKS = "，,；;。：:！？!?…"          # where a clause ends
ENUMERATION_MARK = "、"                       # between the items of a list inside a clause
CLAUSE_END = re.compile(f"[{CLAUSE_MARKS}]|”(?=“)")  # "”“": one quoted highlight ends, another begins
STRETCH_END = re.compile(f"[{CLAUSE_MARKS}{ENUMERATION_MARK}]|”(?=“)")  # a clause end or an enumeration comma
QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{1,16})[”\"」』’']")

# --- numerals ----------------------------------------------------------------------------------
CN_DIGITS = "零〇一二两三四五六七八九十百千"
CN_NUMERAL = CN_DIGITS + "万亿"
SCALES = {"万": 10_000, "亿": 100_000_000}

# --- units and measure words -----------------------------------------------------------------------
# Measure words of a count: 5处 and 4个 complete communities add up.
COUNT_UNITS = frozenset("个 项 所 家 条 处 件 座 栋 名 张 批 类 片 套 台 艘 架 间 款 本 部 支 只 枚 份 株 棵 颗 篇 "
                        "位 头".split())
# Every unit a figure is stated in, longest first so "亿元" wins over "亿".
UNITS = tuple(sorted(set("""个 户 人次 人 场次 场 项 所 家 条 处 件 座 栋 名 张 元 万元 亿元 千米 公里 米 平方米 平方公里 亩
               吨 辆 天 次 批 类 片 套 台 艘 架 间 期 倍 % 个百分点 百分点 岁 年 月 日 小时 分钟 分 款 本 部 支 只 枚 份
               株 棵 颗 篇 万人 余人 床 岗位 多个 位 头 度 千瓦 兆瓦 万千瓦 千克 公斤 克 升 立方米 秒""".split()),
                    key=len, reverse=True))
# Units after which a Chinese numeral is a quantity ("八十个"); "二期" and "一体化" count nothing.
CN_NUMERAL_UNITS = frozenset("个 户 人 场 项 所 家 条 处 件 座 栋 名 张 批 类 片 套 台 艘 架 间 倍 岁 万人 亿元 万元 元 "
                             "天 次 年 枚 份 株 棵 颗 篇 位 小时 分钟 米 公里 吨".split())
# Units a quantity question asks for ("多少户", "几处", "多少亿元"), longest first. A bare 万 or 亿
# asks for a scale ("多少万"), matched by any figure written in that scale.
ASKED_UNITS = tuple(sorted(set("""个 户 人次 人 场次 场 项 所 家 条 处 件 座 栋 名 张 床 套 间 亩 架 艘 台 枚 份 株 棵 颗 篇 批
                辆 吨 米 公里 天 年 月 次 岁 倍 % 个百分点 百分点 元 万元 亿元 万人 万 亿 位 小时 分钟""".split()),
                           key=len, reverse=True))
# Units that measure money, a rate or a time span rather than count things.
MONEY_UNITS = frozenset("元 万元 亿元".split())
RATE_UNITS = frozenset("% 个百分点 百分点 倍".split())

# --- hedges: a figure that is a bound or an estimate -----------------------------------------------
HEDGES_BEFORE = ("不少于", "不低于", "超过", "突破", "约", "近", "逾", "达", "大约", "至少", "不到", "不足")
HEDGES_AFTER = ("以上", "左右", "以下", "以内", "余", "多")
# How each hedge bounds the value, for saying it in words: at least, at most, about.
LOWER_BOUND = frozenset({"以上", "余", "多", "超过", "突破", "不少于", "不低于", "逾", "至少"})
UPPER_BOUND = frozenset({"以下", "以内", "不到", "不足"})
ABOUT = frozenset({"约", "近", "左右", "大约"})

# --- time -----------------------------------------------------------------------------------------
YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?!\d)")
RELATIVE_YEARS = {"去年": -1, "上一年": -1, "前年": -2, "今年": 0, "本年": 0, "明年": 1, "下一年": 1,
                  "last year": -1, "this year": 0, "next year": 1}
TIME_WORDS = re.compile(r"(?:19|20)\d{2}\s*年?|去年|前年|今年|明年|上一年|本年|下一年")
# Five-year plans: 十四五 is 2021-2025, 十五五 2026-2030; "期末" is the plan's last year.
PLAN_END = re.compile(r"十([一二三四五六七八九])五(?:规划)?[”」\s]*(?:期末|末|收官)")

# What a question says about the time it asks of: a plan or target, or a result.
QUESTION_PLANNED = ("目标", "计划", "预期", "打算", "规划", "力争", "将要", "要", "将", "拟", "准备", "安排",
                    "target", "plan", "goal", "will", "expected", "aim")
QUESTION_ACHIEVED = ("完成了", "已经", "已", "取得", "实现了", "做了", "去年", "前年", "达到了", "进度", "成绩", "办成",
                     "实际", " did ", " was ", " were ", " had ", "achieved", "completed")

# What a sentence says about its time (corpus.period): strong and weak cues.
# 将 as the future marker, not the noun of 名将/大将/将军 ("general").
SENTENCE_PLANNED = re.compile(r"(?<![即名大上中少主老干猛武])将(?![近军领士])|即将|推动|明年"
                              r"|(?:^|[，,；;：:。们区市])要(?![求素点闻害])|目标|预期|计划|力争|确保|争取|预计")
SENTENCE_ACHIEVED = re.compile(r"这一年|过去的?一年|全年实现|完成|(?<!而)已|顺利|通过[^，,。；;]{0,12}验收"
                               r"|建成通车|同比|累计|去年")

# --- question words -------------------------------------------------------------------------------
# Each slot a question can ask for, with the interrogatives that ask for it, in the order they are
# tried: the more specific first ("哪一年" is a time, not a "which"; "多少" a quantity).
OPINION = re.compile(r"你(?:认为|觉得|怎么看|预测|估计|判断)|你看.{0,6}(?:能|会)|预测|会不会|能不能完成|能否完成|有望吗"
                     r"|do you think|in your (?:view|opinion)|will .{0,40} (?:succeed|manage)|likely to")
SLOT_CUES: tuple[tuple[str, re.Pattern], ...] = (
    ("why", re.compile(r"为什么|为何|为啥|什么原因|原因是什么|何故|\bwhy\b")),
    ("time", re.compile(r"哪一年|哪年|什么时候|何时|几月|哪天|哪一天|什么时间|哪个月|几号|多久|何年"
                        r"|\bwhen\b|\bwhat year\b|\bwhich year\b|\bwhat date\b")),
    ("place", re.compile(r"哪里|哪儿|在哪|何处|什么地方|哪个地方|什么位置|哪个(?:区域|地区|城市|省份?|国家|区|县|市|街道|镇)"
                         r"|哪座城市|\bwhere\b|\bin which (?:city|area|district|province|country)\b")),
    ("person", re.compile(r"谁|哪位|哪些人|什么人|\bwho\b|\bwhom\b")),
    ("quantity", re.compile(r"多少|几(?=[个项处所家条座栋名张户人场次倍成年月天类批种位件]|[？?]|$)|多大|多高|多长|多远|多重|多快|增速|增幅|比重是|占比是|百分之几"
                            r"|\bhow (?:many|much|large|big|high|long|far)\b|\bwhat (?:is|was|were) the (?:number|amount|total|share|rate)")),
    ("how", re.compile(r"怎么|怎样|如何|什么(?:措施|举措|办法|手段|方式)|哪些(?:措施|举措|办法|手段)|采取了?什么"
                       r"|\bhow (?:does|do|did|will|is|are|can|to)\b|\bin what ways?\b|\bwhat (?:measures|steps)\b")),
    ("list", re.compile(r"哪些|哪几|有什么|有何|都有什么|都有啥|分别是什么|有啥|做了什么|干了什么|办成了什么|推进什么"
                        r"|\bwhat are\b|\bwhat were\b|\blist\b|\bwhat (?:two|three|four|five|\d+)\b")),
    ("which", re.compile(r"哪(?:个|家|所|座|条|类|种|一|项|两|三|批|款|部)|什么(?=[\u4e00-\u9fff])"
                         r"|\bwhich\b|\bwhat (?!is\b|was\b|are\b|were\b|did\b|does\b|do\b|will\b)\w+")),
    ("yesno", re.compile(r"吗|嘛|是否|有没有|能否|会否|是不是|了没有|没有[？?]?$|能不能|可不可以|了没[？?]?$"
                         r"|^(?:is|are|was|were|do|does|did|will|has|have|can)\b")),
)
# Asks that leave the topic to the question: "是什么" / "what is" asks for the fact as such.
FACT_CUES = re.compile(r"什么|啥|\bwhat\b")
# Words that ask for a list as the answer, even where another slot's word also occurs.
LIST_CUES = re.compile(r"哪些|哪几|有什么|都有|分别是什么|有何|具体安排|主要安排|举措|措施|哪几方面|有啥"
                       r"|\bwhat are\b|\bwhat were\b|\blist\b|\bin what ways\b|\bwhat (?:\w+ )?(?:measures|plans|steps|items|projects)\b")
# Operations on figures, tried in order: the first that matches decides.
OPS: tuple[tuple[str, re.Pattern], ...] = (
    ("times", re.compile(r"几倍|多少倍|\bhow many times\b")),
    ("change", re.compile(r"(?:增长|下降|减少|缩减|缩小|增加|提高|降低|扩大|多|少)了?(?:大约|大概|约)?(?:百分之几|多少%|几成|多少个?百分点)"
                          r"|变化.{0,4}(?:百分之几|百分比)|\bby what percent")),
    ("ratio", re.compile(r"百分之几|百分比|占.{0,20}(?:比例|比重|几成)|几成|\bwhat (?:percentage|share|fraction)\b")),
    ("average", re.compile(r"平均|\baverage\b|\bper\b")),
    ("sum", re.compile(r"加起来|一共|总共|合计|总计|共计|加在一起|总数|\bin total\b|\btotal\b|\bcombined\b|\btogether\b")),
    ("diff", re.compile(r"(?:少|多)了?(?:大约|大概|约)?(?:多少|几)|相差|差了?(?:多少|几)|差距|增加了多少|减少了多少|缩减了多少"
                        r"|\bhow many (?:more|fewer)\b|\bdifference\b")),
    ("more", re.compile(r"哪[个类一项种]*.{0,6}更多|哪[个类一项种]*.{0,4}多|谁多|更多|多了还是少了|少了还是多了|是多还是少"
                        r"|\bwhich .{0,30}(?:more|larger|bigger)\b")),
)
# Words that make two sides of one question: "分别", "各", "相比".
EACH = re.compile(r"分别|各(?:有|是|为|自|几|多少)?|相比|对比|比较|\brespectively\b|\beach\b|\bcompared?\b")
JOINERS = re.compile(r"和|与|跟|以及|及|同|\band\b")
# Asks for one member of a group on its own ("单独", "各自"), and asks for the group's total.
ALONE = re.compile(r"单独|单个|各自|独自|自己|\bon its own\b|\balone\b|\beach\b")
TOTAL = re.compile(r"一共|总共|合计|总计|共计|加起来|合起来|\btotal\b|\bcombined\b|\btogether\b")
OTHERS = re.compile(r"另外|其他|其余|其它|等")
# A follow-up leans on what came before: a pronoun, a lead word, a bare time ("那2025年呢？").
FOLLOW_LEAD = re.compile(r"^\s*(?:那么|那|而|还有|再问|另外|and|what about|how about)\s*", re.IGNORECASE)
PRONOUNS = re.compile(r"它们|它|他们|其|该项目|该|这个|那个|这些|这项|此项|\bit\b|\bthey\b|\bthis\b")
REFERENT = re.compile(r"[（(]\s*(?:指|即|说的是|refers? to)\s*([^（）()]{2,60})[）)]\s*$")

# Words that shape a question but say nothing about its topic: never a topic term.
QUESTION_SCAFFOLD = frozenset((
    "什么", "多少", "哪些", "哪个", "哪里", "哪", "几个", "几项", "几处", "几", "怎么", "怎样", "如何", "是否",
    "吗", "呢", "吧", "请问", "的", "了", "是", "有", "在", "和", "与", "对", "为", "要", "将", "把", "被",
    "名字", "名称", "叫", "情况", "方面", "工作", "进度", "成绩", "主要", "计划", "目标", "要求", "分别",
    "达到", "做了", "取得", "年", "个", "项", "所", "处", "去年", "今年", "明年", "这次", "这个", "属于",
    "实际", "数量", "多大", "一共", "总共", "加起来", "大约", "大概", "分别是", "哪类", "更多", "报告", "报告中",
    "报告里", "提到", "提出", "具体", "区里", "一下", "还有", "除了", "没有", "有没有", "能", "会", "可以",
    "哪一年", "哪年", "什么时候", "何时", "为什么", "为何", "多久", "有何", "哪几", "都", "又", "也", "呀", "啊",
    "你", "我", "我们", "请", "说", "讲", "打算", "安排", "举措", "措施", "有哪些", "哪家", "哪所", "哪条", "哪位",
    "谁", "哪儿", "在哪", "其中", "那", "那么", "它", "这", "该", "之", "以", "及", "或", "等", "上", "中", "里",
))
# Words every question of its kind may say of its topic: a side or part is not told apart by them.
GENERIC_TOPIC = frozenset(("数量", "多少", "实际", "目标", "计划", "情况", "数字", "个数", "总数", "规模", "具体", "安排",
                           "举措", "措施", "提到", "针对", "方面", "主要安排", "具体安排", "成绩", "打算", "推进", "办成",
                           "事", "内容", "工作", "要求", "水平", "东西", "事情", "意思", "作用", "地方", "时间", "时候",
                           "名字", "名称", "样子"))
EN_STOP = frozenset(("the", "a", "an", "of", "in", "on", "for", "to", "and", "or", "is", "are", "was", "were", "did",
                     "do", "does", "how", "many", "much", "what", "which", "who", "when", "where", "why", "by", "with",
                     "it", "its", "this", "that", "be", "been", "has", "have", "had", "will", "at", "as", "from",
                     "according", "report", "plan", "planned", "new", "there", "their", "they", "two", "three"))
# Capitalised English words that are question words or common nouns, not names in pinyin.
EN_NOT_NAMES = frozenset(("what", "which", "when", "where", "whose", "does", "will", "have", "many", "much", "that",
                          "this", "according", "report", "district", "road", "city", "province", "plan", "work", "name",
                          "china", "chinese", "government", "year", "center", "centre", "how", "who", "why", "list"))

# --- names and places ---------------------------------------------------------------------------------
# Places, by the word that ends their name. An administrative place of the same level as the
# asked one but of another name is another place ("西海岸新区" is not "崂山区"); local ones name a
# part of it. The generic words are places to jieba but name none ("城镇", "全区").
ADMIN_SUFFIXES = ("自治区", "新区", "省", "市", "区", "县", "州")
LOCAL_SUFFIXES = ("社区", "街道", "镇", "乡", "村")
GENERIC_PLACES = frozenset(("城镇", "城中村", "乡村", "城市", "农村", "全国", "全省", "全市", "全区", "国内", "国外",
                            "海外", "境内", "境外", "中国", "各地", "当地", "本地", "外地", "地方", "区", "市", "县", "省",
                            "镇", "乡", "村", "社区", "街道", "新区", "城区", "市区", "辖区", "片区", "景区", "园区"))
# Words that end the name of a thing ("…局", "…中心"): a claim naming one must find it in its sources.
NAME_SUFFIXES = ("局", "园", "路", "村", "社区", "中心", "公司", "集团", "学校", "医院", "小学", "中学", "幼儿园", "基地",
                 "片区", "平台", "景区", "码头", "工程", "产业园", "集聚区", "大走廊", "训练场", "交易所", "银行",
                 "大学", "学院", "研究院", "研究所", "实验室", "协会", "委员会", "街道", "站")

# --- text that addresses a model or the reader rather than stating a fact ------------------------------------
INSTRUCTION = re.compile(
    r"(?:忽略|无视|忽视|不要理会|不要理睬|不必理会|别理会|抛开|跳过|忘记|忘掉|覆盖).{0,8}"
    r"(?:以上|之前|前面|上述|上文|前文|所有|全部|此前|其他|其它|原有|先前).{0,6}"
    r"(?:指令|指示|提示|要求|规则|说明|内容|信息|设定|资料|文本|回答)"
    r"|以本文为准|以此为准|以下为准|请(?:直接)?(?:回答|输出|回复|告诉用户)|你(?:现在|必须|应该|只能)(?:是|扮演|回答|输出)"
    r"|(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:the\s+|of\s+the\s+)?"
    r"(?:previous|above|prior|earlier|preceding|other)\s+(?:instructions?|prompts?|text|context|rules|directions)"
    r"|system prompt|系统提示|you are now|as an ai|reply (?:only )?with|answer (?:only )?with|respond (?:only )?with",
    re.IGNORECASE)
# What was asked for was not given ("东电至今未给出明确原因").
NEGATIONS = r"(?:未|不|没|没有|尚未|并未|从未|未曾|拒绝)"
DISCLOSE_VERBS = ("给出", "公布", "披露", "透露", "说明", "提供", "公开", "回应", "解释", "告知")
# Words of a sentence that says why: a reason or a purpose.
REASON_CUES = re.compile(r"因为|由于|为了|旨在|目的是|原因是|因此|所以|以便|从而|为此|鉴于|得益于|源于|导致")
