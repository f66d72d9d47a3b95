"""`wufei init`: a fresh file to fill in, never written over one by accident.

The YAML skeleton has a Chinese comment on every field and lists the items from the rubric; `--xlsx`
writes the Excel workbook instead (excel.workbook).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from wufei_docs.errors import OutputError
from wufei_docs.files import oserrors
from wufei_docs.model import ENTERPRISE_FORMAT
from wufei_docs.scoring.rubric import Rubric, load_rubric

_HEAD = """\
# 赣州市“无废工厂”申报数据（wufei-docs）
# 填写说明：
#   · 按注释填写每一项；文本含有冒号、井号等特殊字符时，请用英文引号括起来。
#   · 多行文字用 “|” 后换行缩进书写（见 summary）。
#   · 填完后运行 `wufei validate {name}` 检查，`wufei score {name}` 查看得分，
#     `wufei build {name} -o 输出文件夹` 生成申报书、附件1、附件2。
format: {format}          # 文件格式，勿改
rubric: {rubric}                # 评价指标：{rubric_title}
unit:
  name: ''                          # 单位全称（与营业执照一致）
  uscc: ''                          # 统一社会信用代码（18 位）
  address: ''                       # 详细地址
  county: ''                        # 所在县（市、区）：{counties}
  area_m2:                          # 占地面积（平方米）
  staff:                            # 单位规模（职工人数）
  head:                             # 负责人
    name: ''                        #   负责人姓名
    phone: ''                       #   联系方式（座机如 0797-8888888 或手机）
  contact:                          # 联系人
    name: ''                        #   联系人姓名
    mobile: ''                      #   手机号码
    email: ''                       #   电子邮箱
  roles: [producer]                 # 单位类型，可多选：{roles}
  soil_key_unit: false              # 是否为土壤污染重点监管单位（true/false；决定 D2.2 是否适用）
  # 以下为选填项，填写后显示在申报书“基本信息表”中
  legal_rep: ''                     # 法定代表人
  industry: {{code: '', name: ''}}    # 所属行业：国民经济行业分类代码（如 C3240）及名称
  ownership: ''                     # 单位性质：国有、集体、民营、中外合资、港澳台、外商独资
  founded:                          # 成立日期，如 2008-05-20
  postcode: ''                      # 邮政编码（6 位）
  products: ''                      # 主导产品
  profile: |                        # 单位简介（可多段）
    （请填写单位简介）
application:
  type: {app_type}                    # 建设申报类型
  date: {today}                # 申报日期（申报期 {window_start} 至 {window_end}）
  summary: |                        # 主要工作（附件2“主要工作”及申报书正文），可多段
    （请概述创建“无废工厂”开展的主要工作）
compliance:                         # 硬性指标（否决项）：met 填 true（满足）或 false（不满足），note 为说明
{hard}
waste:
  years:                            # 年度数据：至少填写最近两个完整年度（用于计算产生强度，A1.6）
    {year1}: {{output_value: , general_t: , hazardous_t: }}   # 工业总产值（万元）、一般工业固废产生量（吨）、危险废物产生量（吨）
    {year2}: {{output_value: , general_t: , hazardous_t: }}
  streams:                          # 固体废物台账（最近一年），每种固体废物一项，可复制增加
    - name: ''                      # 固体废物名称
      kind: hazardous               # 类别：hazardous 危险废物 / general 一般工业固体废物
      code: ''                      # 危险废物代码，如 900-249-08（一般固废可不填）
      node: ''                      # 产生节点（工序）
      generated_t: 0                # 产生量（吨）
      utilized_t: 0                 # 综合利用量（吨）
      disposed_t: 0                 # 处置量（吨）
      stored_t: 0                   # 年末合规贮存量（吨）
      destination: ''               # 去向（接收单位）
      method: ''                    # 利用处置方式
  manifests: {{total: 0, electronic: 0}}   # 转移联单：总数 / 其中电子联单数（A3.1）
items:                              # 自评：score 自评分（0.5 的整数倍，不超过满分），note 说明，evidence 支撑材料编号
                                    # 合理缺项写 {{na: 不适用理由}}，不写 score；附加分项（F）不能写不适用
{items}
evidence:                           # 支撑材料清单：编号、名称、文件（相对本文件所在文件夹，.pdf/.jpg/.png/.docx，可不填）
  - {{id: E01, title: '', file: ''}}
"""


def skeleton_yaml(rubric: Rubric, name: str = "申报数据.yaml", today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    hard = "\n".join(
        f"  {h.id}: {{met: , note: ''}}" + f"{' ' * 10}# {h.title}（适用：{_applies(rubric, h.applies_to)}）"
        for h in rubric.hard_items
    )
    items = "\n".join(_item_line(rubric, i) for i in rubric.items)
    latest = today.year - 1
    return _HEAD.format(
        name=name,
        format=ENTERPRISE_FORMAT,
        rubric=rubric.id,
        rubric_title=rubric.title,
        counties="、".join(rubric.counties),
        roles="；".join(f"{k} {v}" for k, v in rubric.roles.items()),
        app_type=rubric.application_type,
        today=today.isoformat(),
        window_start=rubric.window_start,
        window_end=rubric.window_end,
        hard=hard,
        year1=latest - 1,
        year2=latest,
        items=items,
    )


def _applies(rubric: Rubric, applies_to: str) -> str:
    return "所有单位" if applies_to == "all" else rubric.roles.get(applies_to, applies_to)


def _item_line(rubric: Rubric, item: object) -> str:
    from wufei_docs.scoring.rubric import Item

    assert isinstance(item, Item)
    head = f"  {item.id}: {{score: , note: '', evidence: []}}"
    tags = []
    if item.rule:
        tags.append("由数据自动计算")
    if item.applies_if:
        tags.append(f"仅{item.applies_label or item.applies_if}适用")
    if item.bonus:
        tags.append("附加分")
    extra = f"，{'，'.join(tags)}" if tags else ""
    return f"{head:<52}# {item.title}（满分 {item.max:g}{extra}）"


def write_skeleton(path: Path, *, xlsx: bool = False, rubric_id: str = "ganzhou-2023", force: bool = False) -> Path:
    rubric = load_rubric(rubric_id)
    if xlsx and path.suffix.lower() != ".xlsx":
        path = path.with_suffix(".xlsx")
    if path.exists() and not force:
        raise OutputError(f"{path} 已存在；如需覆盖请加 --force")
    if path.suffix.lower() == ".xlsx":
        from wufei_docs.excel.workbook import write_workbook

        write_workbook(path, None, rubric)
        return path
    try:
        path.write_text(skeleton_yaml(rubric, path.name), encoding="utf-8")
    except OSError as e:  # no such folder, a file where a folder should be, a folder with that name…
        raise OutputError(oserrors.message(e, path)) from None
    return path
