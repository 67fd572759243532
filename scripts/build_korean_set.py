"""Build tests/data/korean.jsonl and tests/data/korean_en.jsonl.

Inputs: tests/data/korean_candidates.jsonl (written by scripts/pick_korean_rows.py from the public
`tune` rows) and the seed articles in seeds/. The Korean questions and golds below were written by
hand; sources, evidence and scope of the public rows are copied from the candidate rows unchanged.

Korean rows: type "korean" (a Korean answer is required, see SCORING.md), except "list" rows which
keep "list" (every entry required); "unanswerable" rows keep "unanswerable".
English parallel rows: "en-" + the original id (public) or "en-seed-NN"; public rows are the original
rows unchanged apart from id, "lang" and "set".

Usage: python3 scripts/build_korean_set.py
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SEEDS = ROOT / "seeds"
S0, S1, S2, S3 = ("000_708bc06f684926ae.txt", "001_4565a06977f9453b.txt",
                  "002_d8a45157726e6f81.txt", "003_4828a23bdb51d7f0.txt")

# ---------------------------------------------------------------- public rows: id -> (question, extra golds)
# The original English golds are kept first; Korean forms follow.
PUBLIC_KO = {
    # wiki
    "wiki-5d66187a2b22cd4dfcfbd857": ("코네티컷주에서 인구가 가장 많은 지역을 뭐라고 불러요?",
                                      ["골드코스트", "골드 코스트"]),
    "wiki-5d661af52b22cd4dfcfbd8d5": ("발트해가 마지막으로 완전히 얼어붙은 게 언제예요?",
                                      ["1987년"]),
    "wiki-5d6619032b22cd4dfcfbd87d": ("발트해는 북해로 무엇을 흘려보내나요?",
                                      ["기수", "반염수", "저염수", "염분이 낮은 물", "소금기가 적은 물"]),
    "wiki-5d663d852b22cd4dfcfbdb5b": ("빌헬름 구스틀로프호가 침몰했을 때 몇 명이 죽었나요?",
                                      ["9,000명", "9천 명", "9천명", "약 9천 명"]),
    "wiki-5d6597ed2b22cd4dfcfbca4e": ("안데스산맥 동쪽은 무엇과 맞닿아 있나요?",
                                      ["퇴적 분지", "퇴적분지"]),
    "wiki-5d66efdb2b22cd4dfcfbe625": ("많은 아프리카인들은 강제로 누구의 성을 따라야 했나요?",
                                      ["노예 주인", "노예주", "노예 소유주", "노예의 주인"]),
    "wiki-5d65f4a62b22cd4dfcfbd3e5": ("웨스트포트는 정치적으로 어떤 성향이에요?",
                                      ["민주당", "민주당 성향", "민주당 지지"]),
    "wiki-5d67143f2b22cd4dfcfbee53": ("프리단은 여성의 일자리 기회를 늘리려고 무엇을 활용하려 했나요?",
                                      ["민권법 제7편", "제7편", "제7조", "타이틀 VII", "타이틀 7"]),
    "wiki-5d662d0b2b22cd4dfcfbda92": ("1640년까지 매사추세츠만 식민지에 도착한 정착민은 몇 명이에요?",
                                      ["2만", "2만 명", "2만명", "20,000명"]),
    "wiki-5d6694822b22cd4dfcfbe307": ("호주 의학 학위를 학부 과정으로 분류하는 곳은 어디예요?",
                                      ["AQF", "호주 자격 체계", "호주 자격 프레임워크", "호주 학위 자격 체계"]),
    "wiki-5d6658c52b22cd4dfcfbdc6e": ("튀니지에서 외국인이 무상 교육을 받으려면 뭐가 있어야 해요?",
                                      ["장학금"]),
    "wiki-5d66efb12b22cd4dfcfbe613": ("이념적 차이는 어떤 차이로 여겨졌나요?",
                                      ["세대 차이", "세대적 차이", "세대 간 차이", "세대 간의 차이"]),
    "wiki-5d67a5362b22cd4dfcfbfee3": ("인도 여권에는 이름 중 어느 부분이 먼저 나와요?",
                                      ["성이 먼저", "성을 먼저", "성씨", "성(姓)"]),
    "wiki-5d65f3422b22cd4dfcfbd3a0": ("전통적인 용어로 라틴어는 어떤 유형의 언어인가요?",
                                      ["굴절어", "굴절 언어", "융합어"]),
    # reviews
    "reviews-5dd46635cc027a086d65bc89": ("냉동 딸기는 어떤 형태로 쓰나요?",
                                         ["퓌레", "퓨레", "퓨레이"]),
    "reviews-5dd471dfcc027a086d65c572": ("날을 갈아 끼울 수 있는 건 어느 제품이에요?",
                                         ["벤리너"]),
    "reviews-5dd473decc027a086d65c6e8": ("멀쩡한 건 몇 개였어요?",
                                         ["4개", "네 개", "4장", "네 장"]),
    "reviews-5dd46d90cc027a086d65c1ab": ("자리를 많이 차지하나요?",
                                         ["space saver", "공간 절약", "공간을 절약", "공간을 많이 차지하지 않",
                                          "자리를 많이 차지하지 않", "공간을 적게 차지"]),
    "reviews-5dd46f2fcc027a086d65c307": ("리뷰 쓴 사람은 뭐에 까다롭다고 했어요?",
                                         ["프라이팬", "팬", "냄비"]),
    "reviews-5dd46c24cc027a086d65c07a": ("아래쪽 부품은 햄버거 패티에 어떤 자국을 남기나요?",
                                         ["움푹", "오목", "홈", "보조개", "딤플"]),
    "reviews-5dd486f5cc027a086d65d478": ("산 물건을 한 단어로 어떻게 표현했어요?",
                                         ["훌륭", "탁월", "유용", "뛰어난"]),
    "reviews-5dd46ca5cc027a086d65c0ea": ("리뷰어는 이 제품을 어떻게 생각해요?",
                                         ["강력 추천", "강력히 추천", "적극 추천", "적극적으로 추천", "실용적"]),
    "reviews-5dd474bccc027a086d65c7a0": ("리뷰어 말로는 보덤이 렉산 제품을 왜 내놓았대요?",
                                         ["유리 문제", "유리의 문제", "유리에 문제", "유리 제품의 문제",
                                          "유리가 깨지", "유리가 잘 깨", "깨지지 않"]),
    "reviews-5dd47127cc027a086d65c508": ("이 오븐의 눈에 띄는 기능은 뭐예요?",
                                         ["로티세리", "로티서리", "회전구이"]),
    # tables
    "tables-2d346a40-a0e7-4945-b627-b7d01dfc4605": ("2016년 2월에 PSU를 몇 주 부여했나요?",
                                                    ["54만 7천", "54만7천", "54만 7천 주", "547,000주"]),
    "tables-300bf94a-f8cd-4be4-a6b8-689c5001ff94": ("2017년 법인세 비용(수익)은 얼마였어요?",
                                                    ["2,990천", "2,990천 달러", "299만 달러"]),
    "tables-3c9733f1-459f-4025-8cf8-3ac0859687fa": ("2019년 미지급 급여 및 복리후생비는 얼마였나요?",
                                                    ["7,120만 달러", "7120만 달러", "71.2백만 달러"]),
    "tables-b9a81c14-263b-4d58-9bd6-8dec2b27ac34": ("2018년 재공품 금액은 얼마였어요?",
                                                    ["12,129천", "12,129천 달러", "1,212만 9천 달러"]),
    "tables-c1dacf29-e12d-45d6-8021-74f380595377": ("2019 회계연도 법인세는 얼마였나요?",
                                                    ["-298", "298백만 유로", "2억 9,800만 유로"]),
    "tables-749fd08d-6f7c-406a-8f37-15ea39b9dd37": ("2019년 순매출에서 계란 가공품이 차지한 비중은 몇 %였어요?",
                                                    ["3퍼센트", "약 3%"]),
    "tables-5835d53d-8b8c-42eb-9b0b-8dd44502c222": ("2019년 영국 매출은 얼마였나요?",
                                                    ["8,320만 달러", "8320만 달러", "83.2백만 달러"]),
    "tables-01cc7dfc-1b98-4e51-a501-8b357d8ddd75": ("2019년 토지 금액은 얼마였어요?",
                                                    ["1,949천", "1,949천 달러", "194만 9천 달러"]),
    "tables-cf30adbb-c986-4b67-aa14-d0021d7a8f61": ("2019년 법정적립금은 얼마였나요?",
                                                    ["963,947", "963,947천", "9억 6,394만"]),
}
# list rows: Korean alternatives per required entry (joined with " | ")
PUBLIC_KO_LIST = {
    "tables-9b6759c8-7813-4657-98ba-9f1e714a6c03": (
        "2018년과 2019년 Teekay LNG 매출은 각각 얼마였나요?",
        [["601,256천 달러", "6억 125만 6천 달러"], ["510,762천 달러", "5억 1,076만 2천 달러"]]),
}

# ---------------------------------------------------------------- seed rows
# (source, evidence, ko question, ko golds, en question, en golds, en type, difficulty)
SEED_ROWS = [
    (S0, "South Korea has emerged as a significant player in the global artificial intelligence landscape, ranking third worldwide for the release of notable AI models and 18th in AI adoption rates",
     "스탠퍼드 HAI 'AI 인덱스' 보고서에서 한국은 주목할 만한 AI 모델 출시 부문 세계 몇 위야?",
     ["3위", "세계 3위", "세 번째"],
     "In the Stanford HAI AI Index, where does South Korea rank worldwide for releases of notable AI models?",
     ["third", "3rd"], "factoid", "medium"),
    (S0, "In terms of technological innovation, Korea released five notable AI models in large language models (LLMs) in the latter half of last year, positioning it third globally behind the US (50 models) and China (30 models).",
     "지난해 하반기에 중국은 주목할 만한 LLM을 몇 개 내놨어?",
     ["30개", "30"],
     "How many notable LLMs did China release in the latter half of last year?",
     ["30", "30 models"], "numeric", "medium"),
    (S0, "The increase in adoption rates was the highest globally, with a 4.8 percentage point rise.",
     "한국의 AI 도입률은 몇 %포인트 올랐나요?",
     ["4.8%p", "4.8%포인트", "4.8 퍼센트포인트", "4.8퍼센트포인트", "4.8"],
     "By how many percentage points did Korea's AI adoption rate rise?",
     ["4.8 percentage point", "4.8 percentage points", "4.8"], "numeric", "easy"),
    (S0, "This surge in AI adoption is particularly evident in the industrial sector, where the installation of industrial robots has reached 30,600 units, placing Korea fourth globally behind China, Japan, and the United States.",
     "한국에 설치된 산업용 로봇은 몇 대야?",
     ["30,600대", "3만 600대", "3만600대", "30,600"],
     "How many industrial robots have been installed in Korea?",
     ["30,600", "30,600 units"], "numeric", "medium"),
    (S0, "More impressively, Korea maintains its top position in 'robot density,' measured by the number of robots per 10,000 workers, with 1,012 units.",
     "한국의 로봇 밀도, 그러니까 근로자 1만 명당 로봇 수는 몇 대예요?",
     ["1,012대", "1012대", "1,012"],
     "What is Korea's robot density, the number of robots per 10,000 workers?",
     ["1,012", "1,012 units"], "numeric", "medium"),
    (S0, "Luxembourg, China, and the US follow.",
     "인구 대비 AI 특허 출원에서 한국 바로 다음 순위인 나라는 어디야?",
     ["룩셈부르크"],
     "Which country comes right after Korea in AI patent applications per capita?",
     ["Luxembourg"], "factoid", "medium"),
    (S0, "The overall AI market in Korea was valued at approximately $9.06 billion last year, representing 1.6% of the global market.",
     "한국 AI 시장은 세계 시장에서 몇 퍼센트를 차지해요?",
     ["1.6%", "1.6퍼센트", "1.6 퍼센트"],
     "What share of the global AI market does Korea's AI market represent?",
     ["1.6%", "1.6 percent"], "numeric", "medium"),
    (S0, "The report, analyzed by POSCO Management Research Institute, highlights a notable improvement in Korea's AI adoption, climbing seven spots from the previous year.",
     "스탠퍼드 AI 인덱스 보고서를 분석한 국내 연구기관은 어디예요?",
     ["포스코경영연구원", "포스코 경영연구원", "포스코"],
     "Which Korean research institute analyzed the Stanford AI Index report?",
     ["POSCO Management Research Institute", "POSCO"], "factoid", "easy"),
    (S0, "Originally published by Hankyoreh in Korean.",
     "로봇 밀도랑 '피지컬 AI' 얘기가 나온 그 기사, 원래 어느 신문에 한국어로 실린 거야?",
     ["한겨레"],
     "Which newspaper originally published the article on robot density and 'physical AI' in Korean?",
     ["Hankyoreh"], "factoid", "easy"),
    (S1, "the 'Basic Act on Artificial Intelligence and Creation of a Trust Base,' signed into law in January 2025 and effective January 2026",
     "AI 기본법은 언제부터 시행돼요?",
     ["2026년 1월"],
     "When does Korea's AI Basic Act take effect?",
     ["January 2026"], "factoid", "medium"),
    (S1, "in 2026 to train 11,000 high-level AI specialists",
     "정부가 2026년에 양성하겠다는 고급 AI 인재는 몇 명이에요?",
     ["11,000명", "1만 1천 명", "1만1천 명", "1만 1,000명", "11,000"],
     "How many high-level AI specialists does the government plan to train in 2026?",
     ["11,000"], "numeric", "medium"),
    (S1, "AI is utilized for diagnostics (e.g., 94% accuracy in lung cancer detection from CT scans)",
     "CT 영상으로 폐암을 찾아내는 AI의 정확도는 몇 %야?",
     ["94%", "94퍼센트"],
     "How accurate is AI at detecting lung cancer from CT scans?",
     ["94%", "94 percent"], "numeric", "easy"),
    (S2, "SK Telecom has introduced AX 3.1 Lite, a 7 billion-parameter model trained from scratch on 1.65 trillion multilingual tokens, with a strong emphasis on Korean language.",
     "SK텔레콤 AX 3.1 Lite는 토큰 몇 개로 학습했어?",
     ["1.65조", "1조 6,500억", "1조 6500억", "1조6500억", "1조 6천500억"],
     "How many tokens was SK Telecom's AX 3.1 Lite trained on?",
     ["1.65 trillion", "1.65 trillion multilingual tokens"], "numeric", "medium"),
    (S2, "It achieves approximately 96% performance on KMMLU2 for Korean language reasoning and 102% on CLIcK3 for cultural understanding, relative to larger models.",
     "AX 3.1 Lite는 문화 이해 벤치마크인 CLIcK3에서 몇 %를 기록했나요?",
     ["102%", "102퍼센트"],
     "What score did AX 3.1 Lite reach on the CLIcK3 cultural-understanding benchmark?",
     ["102%", "102 percent"], "numeric", "medium"),
    (S2, "It scored 86.2% on the Korean Medical Licensing Examination, compared to the human average of 79.7%, showcasing the potential of AI in enhancing medical education and practice.",
     "의사 국가시험에서 사람 응시자들의 평균 점수는 몇 %였어요?",
     ["79.7%", "79.7퍼센트"],
     "What was the human average on the Korean Medical Licensing Examination?",
     ["79.7%", "79.7 percent"], "numeric", "medium"),
    (S2, "Mathpresso and Upstage collaborated on MATH GPT, a 13 billion-parameter small LLM that surpasses GPT-4 in mathematical benchmarks with 0.488 accuracy versus 0.425, using significantly less computational resources.",
     "매스프레소와 업스테이지가 만든 MATH GPT는 수학 벤치마크 정확도가 얼마였어?",
     ["0.488"],
     "What accuracy did Mathpresso and Upstage's MATH GPT reach on mathematical benchmarks?",
     ["0.488", "0.488 accuracy"], "numeric", "medium"),
    (S2, "LG AI Research launched Exaone 4.0 in July 2025, which performs competitively in global benchmarks with a 30 billion-parameter design.",
     "LG AI연구원이 엑사원 4.0을 출시한 게 언제예요?",
     ["2025년 7월"],
     "When did LG AI Research launch Exaone 4.0?",
     ["July 2025"], "factoid", "medium"),
    (S2, "Upstage\u2019s Solar Pro 2 is the only Korean entry on the Frontier LM Intelligence leaderboard, demonstrating efficiency in matching the performance of much larger international models.",
     "Frontier LM Intelligence 리더보드에 오른 유일한 한국 모델은 뭐예요?",
     ["솔라 프로 2", "솔라프로2", "솔라 프로2", "솔라프로 2"],
     "Which model is the only Korean entry on the Frontier LM Intelligence leaderboard?",
     ["Solar Pro 2"], "factoid", "easy"),
    (S2, "The South Korean LLM market is projected to grow from 182.4 million USD in 2024 to 1,278.3 million USD by 2030, reflecting a 39.4% compound annual growth rate.",
     "한국 LLM 시장은 2030년까지 얼마 규모로 커질 걸로 보여요?",
     ["12억 7,830만 달러", "12억 7830만 달러", "12억 7,830만", "12.8억 달러", "1,278.3백만 달러"],
     "How big is the South Korean LLM market projected to be by 2030?",
     ["1,278.3 million USD", "1,278.3 million", "$1,278.3 million"], "numeric", "medium"),
    (S2, "The South Korean LLM market is projected to grow from 182.4 million USD in 2024 to 1,278.3 million USD by 2030, reflecting a 39.4% compound annual growth rate.",
     "한국 LLM 시장의 연평균 성장률 전망치는 몇 %야?",
     ["39.4%", "39.4퍼센트"],
     "What compound annual growth rate is projected for the South Korean LLM market?",
     ["39.4%", "39.4 percent"], "numeric", "medium"),
    (S3, "The government handpicked five powerhouse teams from an initial pool of 15 applicants.",
     "국가 AI 모델 사업에 처음 지원한 곳은 몇 군데였어요?",
     ["15곳", "15개", "15팀", "15군데", "15"],
     "How many applicants were in the initial pool for the national AI model project?",
     ["15", "15 applicants"], "numeric", "medium"),
    (S3, "The government is investing around 200 billion won ($136 million) to support the consortia with high-performance graphics processing units (GPUs), datasets and R&D personnel.",
     "정부가 컨소시엄에 GPU, 데이터셋, 연구 인력을 지원하는 데 쓰는 돈은 얼마예요?",
     ["2,000억 원", "2000억 원", "2,000억원", "2000억원", "2천억 원", "2천억원", "1억 3,600만 달러"],
     "How much is the government investing to support the consortia with GPUs, datasets and R&D personnel?",
     ["200 billion won", "$136 million", "136 million"], "numeric", "medium"),
    (S3, "SK Telecom already built Haein, a GPU cluster at its data center in Seoul.",
     "SK텔레콤이 서울 데이터센터에 만든 GPU 클러스터 이름이 뭐야?",
     ["해인"],
     "What is the name of the GPU cluster SK Telecom built at its Seoul data center?",
     ["Haein"], "factoid", "easy"),
    (S3, "The company\u2019s Ulsan data center, currently under construction, will become Korea\u2019s largest when completed.",
     "완공되면 국내 최대가 될 SK텔레콤 데이터센터는 어느 도시에 짓고 있어요?",
     ["울산"],
     "In which city is SK Telecom building the data center that will be Korea's largest?",
     ["Ulsan"], "factoid", "easy"),
    (S3, "More than 1,000 people attended as the five consortia showcased their progress after just four months of development.",
     "국가 AI 모델 첫 발표회에는 사람이 얼마나 왔어?",
     ["1,000명 이상", "1,000명", "1000명", "천 명", "천여 명", "1,000"],
     "How many people attended the first presentation of the national AI models?",
     ["more than 1,000", "1,000", "1,000 people"], "numeric", "medium"),
    (S3, "The project launched in August 2025 with approximately $136 million in government investment supporting GPU infrastructure, datasets, and research personnel.",
     "국가 AI 모델 프로젝트는 언제 시작됐어요?",
     ["2025년 8월"],
     "When did South Korea's national AI model project launch?",
     ["August 2025"], "factoid", "easy"),
    (S3, "Science and ICT Minister Bae Kyung-hoon confirmed that domestic companies responded positively to these ambitious targets.",
     "GPU 확보 목표에 국내 기업들이 긍정적으로 반응했다고 밝힌 과기정통부 장관은 누구예요?",
     ["배경훈"],
     "Which Science and ICT minister said domestic companies responded positively to the GPU targets?",
     ["Bae Kyung-hoon", "Bae Kyung hoon"], "factoid", "easy"),
    (S3, "Full-scale investment in 6G technologies begins in 2026, jointly funded by government and industry.",
     "6G 기술에 대한 본격적인 투자는 언제부터 시작돼?",
     ["2026년"],
     "When does full-scale investment in 6G technologies begin?",
     ["2026"], "factoid", "easy"),
    (S3, "The model uses a mixture-of-experts architecture and hybrid attention technology that slashes computation and memory requirements while boosting reasoning speed.",
     "LG K-엑사원은 어떤 모델 구조를 쓰나요?",
     ["전문가 혼합", "혼합 전문가", "전문가 혼합 모델", "MoE"],
     "What architecture does LG's K-EXAONE use?",
     ["mixture-of-experts", "mixture of experts", "MoE"], "factoid", "medium"),
    (S3, "SK Telecom\u2019s Kim Taeyoon set ambitious goals for the project.",
     "SK텔레콤에서 이 프로젝트에 야심 찬 목표를 내건 사람은 누구야?",
     ["김태윤"],
     "Who at SK Telecom set ambitious goals for the project?",
     ["Kim Taeyoon", "Kim Tae-yoon"], "factoid", "easy"),
]

# ---------------------------------------------------------------- unanswerable rows
# (question, set, scope or None); answers absent from every corpus (checked in check_korean_set.py)
UNANSWERABLE = [
    ("네이버 하이퍼클로바X 씽크는 파라미터가 몇 개예요?", "seeds", None),
    ("업스테이지 솔라 프로 2의 파라미터 수는 얼마야?", "seeds", None),
    ("SK텔레콤 울산 데이터센터는 언제 완공될 예정이에요?", "seeds", None),
    ("한국의 AI 도입률은 정확히 몇 퍼센트예요?", "seeds", None),
    ("국가 AI 모델 1차 평가에서 탈락한 컨소시엄은 어디예요?", "seeds", None),
    ("SK텔레콤 해인 클러스터에는 GPU가 몇 장 들어가 있어?", "seeds", None),
    ("2026년 AI 예산 중 중소기업 AI 도입 지원에 배정된 금액은 얼마예요?", "seeds", None),
    ("안데스산맥의 전체 길이는 몇 km예요?", "wiki", None),
    ("발트해의 평균 수심은 몇 미터인가요?", "wiki", None),
    ("로티세리 기능이 있는 이 오븐은 소비 전력이 몇 와트예요?", "reviews", ["r049.txt"]),
]


def main():
    cands = [json.loads(l) for l in open(DATA / "korean_candidates.jsonl", encoding="utf-8")]
    ko_rows, en_rows = [], []
    for c in cands:
        cid = c["id"]
        if cid in PUBLIC_KO_LIST:
            q, alts = PUBLIC_KO_LIST[cid]
            assert len(alts) == len(c["answers"]), cid
            answers = [" | ".join([a] + extra) for a, extra in zip(c["answers"], alts)]
            typ = "list"
        elif cid in PUBLIC_KO:
            q, extra = PUBLIC_KO[cid]
            answers = list(c["answers"]) + [x for x in extra if x not in c["answers"]]
            typ = "korean"
        else:
            print("skipped (no translation):", cid)
            continue
        ko = {"id": "ko-" + cid, "question": q, "answers": answers, "sources": c["sources"],
              "evidence": c["evidence"], "type": typ}
        if "scope" in c:
            ko["scope"] = c["scope"]
        ko.update({"lang": "ko", "set": c["set"], "corpus": c["set"], "en_id": "en-" + cid})
        ko_rows.append(ko)
        en = {k: v for k, v in c.items() if k != "set"}
        en["id"] = "en-" + cid
        en.update({"lang": "en", "set": c["set"], "corpus": c["set"]})
        en_rows.append(en)

    for i, (src, ev, kq, kgold, eq, egold, etype, diff) in enumerate(SEED_ROWS, 1):
        text = (SEEDS / src).read_text(encoding="utf-8")
        assert ev in text, (i, ev)
        sid = f"seed-{i:02d}"
        ko_answers = list(egold) + [g for g in kgold if g not in egold]
        ko_rows.append({"id": "ko-" + sid, "question": kq, "answers": ko_answers, "sources": [src],
                        "evidence": ev, "type": "korean", "difficulty": diff,
                        "lang": "ko", "set": "seeds", "corpus": "seeds", "en_id": "en-" + sid})
        en_rows.append({"id": "en-" + sid, "question": eq, "answers": list(egold), "sources": [src],
                        "evidence": ev, "type": etype, "difficulty": diff,
                        "lang": "en", "set": "seeds", "corpus": "seeds"})

    for i, (q, set_name, scope) in enumerate(UNANSWERABLE, 1):
        row = {"id": f"ko-unans-{i:02d}", "question": q, "answers": [], "sources": [],
               "evidence": "", "type": "unanswerable", "difficulty": "medium"}
        if scope:
            row["scope"] = scope
        row.update({"lang": "ko", "set": set_name, "corpus": set_name, "en_id": None})
        ko_rows.append(row)

    for name, rows in (("korean.jsonl", ko_rows), ("korean_en.jsonl", en_rows)):
        with open(DATA / name, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"wrote {len(rows)} rows to {DATA / name}")


if __name__ == "__main__":
    main()
