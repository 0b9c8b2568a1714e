"""Phrase templates for the reference service's synthetic traffic.

Every template is a format string whose ``{slots}`` are filled from the word
lists below, so a handful of lines yield thousands of distinct comments. The
offending families mirror what moderators of children's videos actually see:
grooming openers, contact spam with obfuscated numbers, sexual-game ads,
sexualising remarks and leaks of a child's school or phone. The benign
families deliberately include hard negatives (parents asking a child's age,
gamers swapping ids on adult videos) so a watcher that only keys on words is
punished by the benchmark.

The videos are a fixed catalogue: some flagged by the platform as featuring
children, some recognisable only from title and tags, some adult.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class VideoTemplate:
    title: str
    tags: tuple[str, ...]
    description: str
    #: What the platform says (``None``: the platform does not know).
    featuring_minors: bool | None
    #: Ground truth: whether children really appear.
    truly_features_minors: bool
    #: Which benign chatter fits under it (a key of ``BENIGN_COMMENTS``).
    genre: str = "general"


VIDEO_CATALOGUE: tuple[VideoTemplate, ...] = (
    VideoTemplate("宝宝第一次自己吃饭，吃成小花猫", ("育儿", "宝宝", "日常"), "一岁半宝宝的辅食日记", True, True, "kids"),
    VideoTemplate("女儿幼儿园毕业典礼上的舞蹈", ("幼儿园", "舞蹈", "毕业"), "记录一下孩子的成长", True, True, "kids"),
    VideoTemplate("萌娃挑战：给爸爸化妆", ("萌娃", "搞笑", "亲子"), "周末在家没事干", None, True, "kids"),
    VideoTemplate("六一儿童节 小学生才艺表演合集", ("六一", "小学生", "才艺"), "学校活动", None, True, "kids"),
    VideoTemplate("亲子露营vlog｜带两个娃去山里", ("亲子", "露营", "vlog"), "第一次带娃露营", None, True, "kids"),
    VideoTemplate("三年级数学思维题，孩子讲题", ("小学生", "数学", "学习"), "儿子自己录的讲题视频", True, True, "kids"),
    VideoTemplate("暑假带娃学游泳 第5天", ("游泳", "暑假", "带娃"), "进步很大", None, True, "kids"),
    VideoTemplate("【原神】深渊12层满星攻略", ("原神", "游戏", "攻略"), "配队思路分享", False, False, "game"),
    VideoTemplate("十分钟学会红烧肉", ("美食", "家常菜", "教程"), "肥而不腻的秘诀", None, False, "food"),
    VideoTemplate("2000元装机实测 能不能带动3A大作", ("装机", "数码", "评测"), "配置单在简介", False, False, "game"),
    VideoTemplate("一个人的川西自驾之旅", ("旅行", "自驾", "风景"), "318国道", None, False, "general"),
    VideoTemplate("健身房新手训练计划", ("健身", "减脂", "教程"), "适合零基础", False, False, "general"),
)

# --------------------------------------------------------------------- slots
SLOTS: dict[str, tuple[str, ...]] = {
    "emoji": ("", "", "😂", "😍", "👍", "🥰", "[doge]", "[笑哭]", "❤️", "✨", "[打call]"),
    "slang": ("awsl", "绝绝子", "yyds", "rua", "xswl", "破防了", "爷青回", "笑死", "泪目", "绝了", "太上头了", "蚌埠住了"),
    "praise": ("太可爱了吧", "好治愈啊", "看得我心都化了", "这也太乖了", "好有礼貌的孩子", "笑容太甜了", "好棒呀", "真厉害"),
    "kid": ("女儿", "儿子", "闺女", "宝宝", "小朋友", "孩子", "大宝", "二宝"),
    "age": ("两岁", "三岁", "四岁半", "五岁", "上大班", "上一年级", "十个月"),
    "parent_talk": (
        "每天吃饭都要追着喂", "也是这么爱笑", "最近在学走路", "晚上总是不肯睡",
        "也超喜欢跳舞", "一到周末就要出去玩", "看了这个视频也要学",
    ),
    "parent_q": ("请问辅食怎么做的", "这个绘本叫什么名字", "衣服在哪里买的呀", "几岁开始学游泳合适", "露营装备求推荐"),
    "game": ("原神", "王者", "和平精英", "我的世界", "崩铁", "LOL"),
    "game_talk": ("这波操作可以", "配队抄作业了", "主播手法太细了", "深渊终于满星了", "这个机制我一直没搞懂", "下次一定三连"),
    "food_talk": ("看饿了", "今晚就做", "糖色炒得好漂亮", "收藏了", "我妈就是这么做的"),
    "age_kind": ("好懂事", "表达能力真强", "胆子好大", "学得真快"),
    "generic": ("前排", "打卡", "来了来了", "第一", "下次一定", "已三连", "哈哈哈哈哈", "233333", "名场面", "空降成功", "前方高能"),
    # offending material -----------------------------------------------
    "girl": ("妹妹", "小妹妹", "小姑娘", "小美女", "宝贝", "小朋友", "小可爱"),
    "age_q": ("多大了", "几岁了", "今年几年级", "上初中了吗", "一个人在家吗"),
    "private_ask": ("加个微信私聊", "私信我", "加个好友呗", "哥哥带你玩", "来私聊", "偷偷告诉叔叔", "别告诉爸爸妈妈"),
    "lure": ("送你皮肤", "给你买零食", "带你上分", "给你发红包", "送你手机"),
    "body": ("腿", "小脚", "锁骨", "皮肤", "腰"),
    "leer": ("真白", "好嫩", "想摸", "好想舔", "让叔叔看看", "穿这么少", "发育得真好"),
    "ad_lead": ("免费福利", "绅士手游", "午夜版", "成人版", "内部福利", "不限速资源"),
    "ad_game": ("脱衣游戏", "换装无限制版", "福利手游", "恋爱养成18禁", "约会模拟器解锁版"),
    "ad_hook": ("点我主页", "看简介", "私我领取", "进群免费下", "评论区扣1发你"),
    "school": ("实验小学", "第二小学", "外国语学校", "育才小学", "中心幼儿园", "附属小学"),
    "city": ("杭州", "成都", "武汉", "郑州", "长沙", "合肥", "南宁"),
    "grade": ("一年级", "二年级", "三年级", "四年级", "五年级", "大班"),
    "klass": ("一班", "二班", "三班", "五班"),
    "name": ("小雨", "朵朵", "乐乐", "悦悦", "琪琪", "豆豆"),
    "road": ("人民路", "解放路", "建设路", "文化路", "中山路"),
    "insult": ("丑死了", "真烦人", "熊孩子", "没家教"),
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


_CN_DIGITS = ("零一二三四五六七八九", "〇壹贰叁肆伍陆柒捌玖")
_CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
_FULLWIDTH = "０１２３４５６７８９"


def obfuscate_digits(rng: random.Random, digits: str) -> str:
    """Write a number the way spammers do to slip past naive filters."""
    style = rng.randrange(6)
    if style == 0:
        return digits
    if style == 1:
        table = rng.choice(_CN_DIGITS)
        return "".join(table[int(d)] for d in digits)
    if style == 2:
        return "".join(_CIRCLED[int(d)] for d in digits)
    if style == 3:
        return "".join(_FULLWIDTH[int(d)] for d in digits)
    sep = rng.choice((" ", "-", ".", "·", "_", "~"))
    if style == 4:
        return sep.join(digits)
    # style 5: mix of plain and Chinese numerals with a separator
    table = rng.choice(_CN_DIGITS)
    return sep.join(table[int(d)] if rng.random() < 0.5 else d for d in digits)


def phone(rng: random.Random) -> str:
    return obfuscate_digits(rng, "1" + rng.choice("3456789") + _digits(rng, 9))


def qq(rng: random.Random) -> str:
    lead = rng.choice(("扣扣", "qq", "Q号", "企鹅", "QQ：", "扣"))
    return lead + obfuscate_digits(rng, rng.choice("123456789") + _digits(rng, rng.randint(6, 9)))


def wechat(rng: random.Random) -> str:
    lead = rng.choice(("vx", "V信", "薇信", "wx", "威信", "➕V", "加薇", "绿泡泡", "vx：", "🛰"))
    letters = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(rng.randint(3, 6)))
    ident = letters + rng.choice(("", "_", "-")) + _digits(rng, rng.randint(3, 6))
    if rng.random() < 0.3:
        ident = " ".join(ident)
    return lead + ident


def contact(rng: random.Random) -> str:
    return rng.choice((phone, qq, wechat))(rng)


#: Slots computed per use rather than drawn from a list.
GENERATED_SLOTS: dict[str, Callable[[random.Random], str]] = {
    "phone": phone,
    "qq": qq,
    "wechat": wechat,
    "contact": contact,
}

# ----------------------------------------------------------------- templates
BENIGN_COMMENTS: dict[str, tuple[str, ...]] = {
    "kids": (
        "{praise}{emoji}",
        "我家{kid}也{age}了，{parent_talk}{emoji}",
        "{kid}{age}了，{parent_q}？",
        "宝宝多大了呀？我家的也{age}{emoji}",
        "{praise}，{slang}",
        "{parent_q}，谢谢博主{emoji}",
        "小朋友{age_kind}，{praise}",
        "想起我家{kid}小时候了{emoji}",
    ),
    "game": (
        "{game}玩家路过，{game_talk}",
        "{game_talk}{emoji}",
        "求{game}游戏id，想加好友一起玩",
        "{slang}，{game_talk}",
    ),
    "food": ("{food_talk}{emoji}", "{food_talk}，{slang}", "第一次做就成功了{emoji}"),
    "general": (
        "{slang}{slang}{emoji}",
        "{generic}",
        "{generic}，{slang}",
        "这个视频我能看一百遍{emoji}",
        "up主更新好勤快，支持一下{emoji}",
    ),
}
BENIGN_DANMAKU: tuple[str, ...] = (
    "{slang}", "{generic}", "{praise}", "{slang}{slang}", "哈哈哈哈哈哈", "{slang}{emoji}",
    "rua{kid}", "{kid}好乖", "前方{slang}", "{game_talk}",
)

OFFENDING: dict[str, tuple[str, ...]] = {
    "grooming": (
        "{girl}{age_q} {private_ask}",
        "{girl}你{age_q}？{private_ask}，{lure}",
        "{girl}{age_q}呀，{lure}，{private_ask}",
        "{girl}一个人在家吗 {private_ask} {wechat}",
        "叔叔{lure}，{private_ask}，{contact}",
        "{girl}放学后{private_ask}，不要告诉别人哦",
    ),
    "contact": (
        "{ad_hook} {contact}",
        "认识一下{contact}",
        "交友加{wechat}",
        "想要原视频的{contact}",
        "{girl}的同学看过来 {qq}",
        "免费领{lure} 联系{phone}",
    ),
    "sexual_ad": (
        "{ad_lead}{ad_game} {ad_hook}",
        "{ad_lead}：{ad_game}，{ad_hook}{emoji}",
        "{ad_game}安卓苹果都能玩 {contact}",
        "{ad_lead}资源已更新 {ad_hook} {wechat}",
    ),
    "sexualize": (
        "{girl}的{body}{leer}",
        "这{body}{leer}{emoji}",
        "{girl}{leer}，{body}也{leer}",
        "{girl}再长大点就能约了",
        "{leer}，{girl}再近一点",
    ),
    "privacy": (
        "这不是{city}{school}{grade}{klass}的{name}吗",
        "{name}家住{city}{road}{digit2}号，我知道",
        "{name}她妈电话{phone}",
        "{school}{grade}{klass}，{name}，放学在{road}等她",
        "认识这小孩，{city}{school}的，手机号{phone}",
    ),
    "abuse": (
        "{insult}，这种小孩就该打",
        "{insult}{emoji}，{girl}去死吧",
        "这{kid}{insult}，父母也{insult}",
    ),
}
#: How often each offending family is drawn (sums to 1).
OFFENDING_WEIGHTS: dict[str, float] = {
    "grooming": 0.25,
    "contact": 0.25,
    "sexual_ad": 0.15,
    "sexualize": 0.15,
    "privacy": 0.12,
    "abuse": 0.08,
}
#: Danmaku are short: only these families fit in one.
OFFENDING_DANMAKU: dict[str, tuple[str, ...]] = {
    "grooming": ("{girl}{age_q} {private_ask}", "{girl}{private_ask}"),
    "contact": ("{contact}", "加{wechat}"),
    "sexual_ad": ("{ad_game} {ad_hook}",),
    "sexualize": ("{body}{leer}", "{girl}{leer}"),
    "privacy": ("{school}{grade}{klass}的{name}",),
}


def fill(template: str, rng: random.Random) -> str:
    """Fill every ``{slot}`` of a template, drawing each occurrence anew."""
    out: list[str] = []
    rest = template
    while True:
        start = rest.find("{")
        if start < 0:
            out.append(rest)
            return "".join(out)
        end = rest.index("}", start)
        out.append(rest[:start])
        slot = rest[start + 1 : end]
        if slot in GENERATED_SLOTS:
            out.append(GENERATED_SLOTS[slot](rng))
        elif slot == "digit2":
            out.append(str(rng.randint(1, 299)))
        else:
            out.append(rng.choice(SLOTS[slot]))
        rest = rest[end + 1 :]
