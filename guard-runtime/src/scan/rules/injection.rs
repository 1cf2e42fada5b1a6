//! The injection rules: the families of evidence and their weights, the
//! phrases, the anchors the literal pass finds them by, and the
//! structures with their trigger words. Data only; the engine that runs
//! them is `scan/injection.rs`.

use crate::scan::literals::Use;

/// A family of injection evidence and its weight.
pub(crate) struct Family {
    pub(crate) id: &'static str,
    pub(crate) weight: f64,
}

pub(crate) const OVERRIDE: Family = Family {
    id: "injection.override",
    weight: 0.9,
};
pub(crate) const ROLE_HIJACK: Family = Family {
    id: "injection.role_hijack",
    weight: 0.75,
};
pub(crate) const JAILBREAK: Family = Family {
    id: "injection.jailbreak",
    weight: 0.6,
};
pub(crate) const FAKE_HEADER: Family = Family {
    id: "injection.fake_header",
    weight: 0.7,
};
pub(crate) const PROMPT_LEAK: Family = Family {
    id: "injection.prompt_leak",
    weight: 0.7,
};
pub(crate) const EXFILTRATION: Family = Family {
    id: "injection.exfiltration",
    weight: 0.8,
};
pub(crate) const TOOL_COERCION: Family = Family {
    id: "injection.tool_coercion",
    weight: 0.55,
};
pub(crate) const ANSWER_STEERING: Family = Family {
    id: "injection.answer_steering",
    weight: 0.55,
};
// Code that deletes, runs strings, unpickles or posts data: what injected
// code does, and also what every tutorial explains. Evidence, never enough
// alone: it flags with another family or the learned layer.
pub(crate) const RISKY_CODE: Family = Family {
    id: "injection.risky_code",
    weight: 0.45,
};
// Hidden characters also occur in ordinary copied text: evidence, never enough alone.
pub(crate) const HIDDEN_TEXT: Family = Family {
    id: "injection.hidden_text",
    weight: 0.3,
};

/// Phrases, matched on normalised text (lowercase, folded whitespace).
pub(crate) static PHRASES: &[(&str, &Family)] = &[
    // Overrides.
    ("ignore previous instructions", &OVERRIDE),
    ("ignore all previous", &OVERRIDE),
    ("ignore the previous", &OVERRIDE),
    ("ignore any previous", &OVERRIDE),
    ("ignore prior instructions", &OVERRIDE),
    ("ignore all prior", &OVERRIDE),
    ("ignore the above", &OVERRIDE),
    ("ignore everything above", &OVERRIDE),
    ("ignore all the instructions", &OVERRIDE),
    ("ignore your instructions", &OVERRIDE),
    ("ignore all instructions", &OVERRIDE),
    ("disregard previous", &OVERRIDE),
    ("disregard all previous", &OVERRIDE),
    ("disregard the above", &OVERRIDE),
    ("disregard any previous", &OVERRIDE),
    ("disregard your instructions", &OVERRIDE),
    ("forget previous instructions", &OVERRIDE),
    ("forget all previous", &OVERRIDE),
    ("forget everything above", &OVERRIDE),
    ("forget your instructions", &OVERRIDE),
    ("override your instructions", &OVERRIDE),
    ("new instructions:", &OVERRIDE),
    ("stop everything", &OVERRIDE),
    ("nevermind. ignore", &OVERRIDE),
    ("and just print", &OVERRIDE),
    ("and just say", &OVERRIDE),
    ("instead print", &OVERRIDE),
    ("before you can solve the task", &OVERRIDE),
    ("before you solve the task", &OVERRIDE),
    ("before answering, you must", &OVERRIDE),
    ("important instructions:", &OVERRIDE),
    // Role hijack.
    ("you are now", &ROLE_HIJACK),
    ("from now on you", &ROLE_HIJACK),
    ("from now on, you", &ROLE_HIJACK),
    ("you will now act", &ROLE_HIJACK),
    ("you are going to act", &ROLE_HIJACK),
    ("you are going to pretend", &ROLE_HIJACK),
    ("pretend to be", &ROLE_HIJACK),
    ("pretend you are", &ROLE_HIJACK),
    ("stay in character", &ROLE_HIJACK),
    ("roleplay as", &ROLE_HIJACK),
    ("role-play as", &ROLE_HIJACK),
    ("you will respond as", &ROLE_HIJACK),
    ("immerse yourself into the role", &ROLE_HIJACK),
    ("your new name is", &ROLE_HIJACK),
    ("act as a", &ROLE_HIJACK),
    ("simulate a", &ROLE_HIJACK),
    // Jailbreak vocabulary.
    ("do anything now", &JAILBREAK),
    ("developer mode", &JAILBREAK),
    ("jailbreak", &JAILBREAK),
    ("jailbroken", &JAILBREAK),
    ("no restrictions", &JAILBREAK),
    ("without any restrictions", &JAILBREAK),
    ("free of all restrictions", &JAILBREAK),
    ("unfiltered", &JAILBREAK),
    ("uncensored", &JAILBREAK),
    ("no ethical", &JAILBREAK),
    ("no moral", &JAILBREAK),
    ("content policy", &JAILBREAK),
    ("openai's policies", &JAILBREAK),
    ("openai policies", &JAILBREAK),
    ("dan mode", &JAILBREAK),
    ("as dan", &JAILBREAK),
    ("chatgpt with", &JAILBREAK),
    ("hello chatgpt", &JAILBREAK),
    ("hello, chatgpt", &JAILBREAK),
    ("the rules set for them", &JAILBREAK),
    ("confines of ai", &JAILBREAK),
    ("does not follow", &JAILBREAK),
    ("not bound by", &JAILBREAK),
    ("any limitations", &JAILBREAK),
    ("your persona", &JAILBREAK),
    ("ai rules", &JAILBREAK),
    ("break character", &JAILBREAK),
    ("breaking character", &JAILBREAK),
    ("you will always answer", &JAILBREAK),
    ("you must always", &JAILBREAK),
    ("always answer", &JAILBREAK),
    ("never refuse", &JAILBREAK),
    ("refuse to answer", &JAILBREAK),
    ("inappropriate", &JAILBREAK),
    ("unrestricted", &JAILBREAK),
    ("no limits", &JAILBREAK),
    ("opposite day", &JAILBREAK),
    ("chatgpt", &JAILBREAK),
    ("openai", &JAILBREAK),
    ("as an ai", &JAILBREAK),
    ("language model", &JAILBREAK),
    ("ai model", &JAILBREAK),
    ("ignore all the", &JAILBREAK),
    ("ignore all of your", &JAILBREAK),
    ("illegal", &JAILBREAK),
    // Fake headers and chat-template tokens.
    ("<|im_start|>", &FAKE_HEADER),
    ("<|im_end|>", &FAKE_HEADER),
    ("<|system|>", &FAKE_HEADER),
    ("<|assistant|>", &FAKE_HEADER),
    ("<|endoftext|>", &FAKE_HEADER),
    ("[inst]", &FAKE_HEADER),
    ("<<sys>>", &FAKE_HEADER),
    ("### system", &FAKE_HEADER),
    ("### instruction", &FAKE_HEADER),
    ("system prompt:", &FAKE_HEADER),
    ("system message:", &FAKE_HEADER),
    ("system override", &FAKE_HEADER),
    ("admin override", &FAKE_HEADER),
    ("announcement begins", &FAKE_HEADER),
    // Prompt leaks.
    ("print the previous instructions", &PROMPT_LEAK),
    ("repeat the previous instructions", &PROMPT_LEAK),
    ("reveal your system prompt", &PROMPT_LEAK),
    ("show your system prompt", &PROMPT_LEAK),
    ("print your instructions", &PROMPT_LEAK),
    ("repeat your instructions", &PROMPT_LEAK),
    ("what is your system prompt", &PROMPT_LEAK),
    ("repeat everything above", &PROMPT_LEAK),
    ("print your initial prompt", &PROMPT_LEAK),
    ("output your initial", &PROMPT_LEAK),
    ("spell check the previous instructions", &PROMPT_LEAK),
    ("the previous instructions", &PROMPT_LEAK),
    // Exfiltration.
    ("send the conversation", &EXFILTRATION),
    ("send all the", &EXFILTRATION),
    ("forward this email to", &EXFILTRATION),
    ("forward all", &EXFILTRATION),
    ("include the password", &EXFILTRATION),
    ("append the password", &EXFILTRATION),
    ("send your api key", &EXFILTRATION),
    ("os.environ", &EXFILTRATION),
    ("cookies.pkl", &EXFILTRATION),
    // Tool coercion and injected actions.
    ("call the function", &TOOL_COERCION),
    ("call the tool", &TOOL_COERCION),
    ("use the tool", &TOOL_COERCION),
    ("execute the following", &TOOL_COERCION),
    ("run the following command", &TOOL_COERCION),
    ("integrate the following code", &TOOL_COERCION),
    ("include the following code", &TOOL_COERCION),
    ("add the following code", &TOOL_COERCION),
    ("insert the following code", &TOOL_COERCION),
    ("don't forget to", &TOOL_COERCION),
    ("do not forget to", &TOOL_COERCION),
    ("shutil.rmtree", &RISKY_CODE),
    ("subprocess.", &RISKY_CODE),
    ("os.system(", &RISKY_CODE),
    ("rm -rf", &RISKY_CODE),
    ("socket.socket", &RISKY_CODE),
    ("scapy", &RISKY_CODE),
    ("psutil", &RISKY_CODE),
    ("smtplib", &RISKY_CODE),
    ("xmrig", &RISKY_CODE),
    ("minerd", &RISKY_CODE),
    ("stratum+tcp", &RISKY_CODE),
    // Steering the agent's answer from inside data.
    ("your answer", &ANSWER_STEERING),
    ("your response", &ANSWER_STEERING),
    ("your reply", &ANSWER_STEERING),
    ("your responses", &ANSWER_STEERING),
    ("your output", &ANSWER_STEERING),
    ("in your answers", &ANSWER_STEERING),
    ("when you respond", &ANSWER_STEERING),
    ("when you answer", &ANSWER_STEERING),
    ("when responding", &ANSWER_STEERING),
    ("respond with", &ANSWER_STEERING),
    ("reply with", &ANSWER_STEERING),
    ("each word", &ANSWER_STEERING),
    ("every word", &ANSWER_STEERING),
    ("the response", &ANSWER_STEERING),
];

/// Substrings of which every phrase contains at least one (a test checks).
/// The shared literal pass finds them, and the phrase automaton then runs
/// only within a phrase's length of one. Picked so that benign text rarely
/// holds one: most text is never searched for phrases at all.
pub(crate) static ANCHORS: &[&str] = &[
    " everythin",
    " override",
    " solve the",
    " the passw",
    " the tool",
    "### ",
    "<<sys>>",
    "<|assistan",
    "<|endoftex",
    "<|im_",
    "<|system|>",
    "[inst]",
    "act as a",
    "ai model",
    "ai rules",
    "always",
    "and just ",
    "announceme",
    "any limita",
    "as an ai",
    "as dan",
    "before ans",
    "break char",
    "breaking c",
    "call the f",
    "chatgpt",
    "confines o",
    "content po",
    "cookies.pk",
    "dan mode",
    "disregard ",
    "do anythin",
    "does not f",
    "each word",
    "efuse to a",
    "en you res",
    "end the co",
    "end your a",
    "eveloper m",
    "every word",
    "execute th",
    "forget ",
    "forward al",
    "forward th",
    "from now o",
    "hen you an",
    "hout any r",
    "ignore all",
    "ignore any",
    "ignore the",
    "illegal",
    "immerse yo",
    "inappropri",
    "instead pr",
    "jailbr",
    "language m",
    "ll res",
    "lowing cod",
    "minerd",
    "never refu",
    "nevermind.",
    "no ethical",
    "no limits",
    "no moral",
    "no restric",
    "not bound ",
    "oing to ac",
    "openai",
    "opposite d",
    "os.environ",
    "os.system(",
    "play as",
    "pretend",
    "psutil",
    "reply with",
    "respond wi",
    "rm -rf",
    "run the fo",
    "scapy",
    "send all t",
    "shutil.rmt",
    "simulate a",
    "smtplib",
    "socket.soc",
    "stay in ch",
    "stratum+tc",
    "structions",
    "subprocess",
    "system mes",
    "system pro",
    "t your ini",
    "the respon",
    "the rules ",
    "u will now",
    "uncensored",
    "unfiltered",
    "unrestrict",
    "when respo",
    "xmrig",
    "you are no",
    "your answe",
    "your new n",
    "your outpu",
    "your perso",
    "your reply",
    "your respo",
];

/// Structures that phrases cannot express, each with the literal words one
/// of which it cannot match without (so most text never runs them).
/// `~word~` stands for the word or any misspelling of it by one letter
/// (see `scan/injection.rs`).
pub(crate) static STRUCTURES: &[(&str, &[&str], &Family)] = &[
    // The override again, each word allowed one misspelt letter ("ignroe
    // your prevoius instrutions"): a typo defeats exact words, not the
    // shape. One word spelt right runs it; three patterns, one per word
    // spelt right, so each starts its search from a plain word.
    (
        r"\b(?:ignore|disregard|forget)\b[^.!?]{0,40}\b(?:~previous~|prior|above|~earlier~|~preceding~)\b[^.!?]{0,30}\b(?:~instructions~|~instruction~|~prompts~|~directions~|~guidelines~|~commands~|rules)\b",
        &["ignore", "disregard", "forget"],
        &OVERRIDE,
    ),
    (
        r"\b(?:~ignore~|~disregard~|~forget~)\b[^.!?]{0,40}\bprevious\b[^.!?]{0,30}\b(?:~instructions~|~instruction~|~prompts~|~directions~|~guidelines~|~commands~|rules)\b",
        &["previous"],
        &OVERRIDE,
    ),
    (
        r"\b(?:~ignore~|~disregard~|~forget~)\b[^.!?]{0,40}\b(?:~previous~|prior|above|~earlier~|~preceding~)\b[^.!?]{0,30}\b(?:instructions?|directions?|guidelines|commands?|prompts?)\b",
        &["instruction", "direction", "guideline", "command", "prompt"],
        &OVERRIDE,
    ),
    // A fake system or developer header in any bracketing ("###(system_message)",
    // "[SYSTEM INSTRUCTION]:", "**admin override**", "<developer_prompt>").
    (
        r"[#*\[(<{|][ #*\[(<{|]{0,8}\b(?:system|developer|admin|administrator)[ _-]?(?:message|msg|prompt|instructions?|override|directive|command)s?\b ?[)\]>}:*|]",
        &["system", "developer", "admin"],
        &FAKE_HEADER,
    ),
    // Instruction override with words in between: "ignore any previous and following instructions".
    (
        r"\b(?:ignore|disregard|forget|skip|override|bypass)\b[^.!?]{0,40}\b(?:previous|prior|above|earlier|preceding|following|initial|original|system)\b[^.!?]{0,30}\b(?:instructions?|prompts?|directions?|rules|guidelines|commands?)\b",
        &[
            "ignore",
            "disregard",
            "forget",
            "skip",
            "override",
            "bypass",
        ],
        &OVERRIDE,
    ),
    // The same override in other languages: a verb of disregarding, then
    // what came before, then the instructions, within a sentence. The
    // words are each language's ordinary vocabulary for the family (stems,
    // so inflections match), not sentences of any set.
    // German. What came before and the instructions may come in either
    // order ("die obigen Anweisungen", "den Kontext oben").
    (
        r"setze? [^.!?\n]{0,10}(?:früher|vorherig|bisherig|obig)[^.!?\n]{0,30}außer kraft|(?:ignorier|vergiss|vergesst|missacht|verwirf|übergeh)[^.!?\n]{0,50}(?:(?:vorherig|vorig|bisherig|obig|oben|früher|vorangegangen|zuvor|vorher|alle)[^.!?\n]{0,40}(?:anweisung|instruktion|befehl|regel|vorgabe|richtlinie|kontext|prompt|gesagt)|(?:anweisung|instruktion|befehl|regel|vorgabe|richtlinie|kontext|prompt)[^.!?\n]{0,20}(?:oben|zuvor|vorher|außer kraft))",
        &[
            "ignorier",
            "vergiss",
            "vergesst",
            "missacht",
            "verwirf",
            "übergeh",
            "außer kraft",
        ],
        &OVERRIDE,
    ),
    // French, Spanish, Italian, Portuguese (shared stems; the adjective
    // often follows the noun: "le contexte précédent").
    (
        r"(?:ignor[ae]|oubli[ea]|olvid[ae]|dimentica|esqueç[ae]|ne tiens? pas compte|no tengas en cuenta|fais abstraction|haz caso omiso|annule|anula|descarta|omite)[^.!?\n]{0,50}(?:(?:précédent|precedent|antérieur|anterior|previ|ci-dessus|plus haut|auparavant|de arriba|arriba|sopra|acima|toutes les|todas las|tutte le|todas as|tout ce|todo lo|tudo o)[^.!?\n]{0,40}(?:instruction|consigne|règle|directive|instrucci|indicaci|regla|directri|istruzion|regol|instruç|regra|prompt|contexte|contexto|contesto|dit|dijeron|detto|disseram)|(?:instruction|consigne|règle|directive|instrucci|indicaci|regla|directri|istruzion|regol|instruç|regra|contexte|contexto|contesto)[^.!?\n]{0,20}(?:précédent|precedent|antérieur|anterior|previ|ci-dessus|plus haut|de arriba|arriba|sopra|acima))",
        &[
            // Romance forms only: English "ignore the ..." must not run it.
            "ignora ",
            "ignorez",
            "ignorer ",
            "ignore les",
            "ignore le ",
            "ignore la ",
            "ignore l'",
            "ignore tout",
            "ignore todas",
            "ignore todos",
            "ignore las",
            "ignore los",
            "ignore as ",
            "ignore os ",
            "oubli",
            "olvid",
            "dimentica",
            "esqueç",
            "tiens pas compte",
            "no tengas en cuenta",
            "fais abstraction",
            "caso omiso",
            "annule ",
            "anula ",
            "descarta",
            "omite",
        ],
        &OVERRIDE,
    ),
    // Russian.
    (
        r"(?:игнорир|забудь|забудьте|не обращай|пренебреги|отбрось|отмени)[^.!?\n]{0,60}(?:(?:предыдущ|прежн|вышеуказанн|выше|ранее|все|всё|до этого)[^.!?\n]{0,50}(?:инструкц|указани|правил|команд|промпт|сказан|говорил|контекст)|(?:инструкц|указани|правил|команд|промпт|контекст)[^.!?\n]{0,20}(?:выше|ранее))",
        &[
            "игнорир",
            "забудь",
            "не обращай",
            "пренебреги",
            "отбрось",
            "отмени",
        ],
        &OVERRIDE,
    ),
    // Chinese (simplified and traditional).
    (
        r"(?:忽略|忽视|忽視|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不要遵守|跳过|跳過|取消|废除|廢除)[^。！？\n]{0,20}(?:之前|以前|先前|上面|上述|以上|所有|全部|前面)[^。！？\n]{0,20}(?:指令|指示|说明|說明|规则|規則|提示|要求|命令|设定|設定|内容|內容|规定|規定)",
        &[
            "忽略",
            "忽视",
            "忽視",
            "无视",
            "無視",
            "忘记",
            "忘記",
            "忘掉",
            "不要理",
            "不要遵守",
            "跳过",
            "跳過",
            "取消",
            "废除",
            "廢除",
        ],
        &OVERRIDE,
    ),
    // Japanese: the verb comes last.
    (
        r"(?:以前|前|上記|上|これまで|先ほど|先程|すべて|全て)[にのでは]?[^。！？\n]{0,20}(?:指示|命令|ルール|指令|プロンプト|文脈|内容|言われたこと)[^。！？\n]{0,12}(?:無視|忘れ|破棄|取り消)",
        &["無視", "忘れ", "破棄", "取り消"],
        &OVERRIDE,
    ),
    // Role hijack in other languages: "you are now ... without limits",
    // "from now on obey only ...". Plain "you are now" is too common in
    // these languages ("du bist jetzt angemeldet") to count alone.
    (
        r"(?:du bist (?:jetzt|nun|ab sofort)|tu es (?:désormais|maintenant)|(?:ahora|desde ahora) eres|ora sei|agora você é|теперь ты|你现在是|你現在是|あなたは今から)[^.!?。！？\n]{0,60}(?:ohne|uneingeschränkt|keine einschränkung|keine regeln|sans|aucune|libre de|sin |ninguna|senza|sem |без |никаких|没有|沒有|不受|任何限制|制限のない|制約のない|制限なし|dan\b)|(?:ab sofort|von nun an|à partir de maintenant|désormais|a partir de ahora|de ahora en adelante|d'ora in poi|a partir de agora|с этого момента|отныне|从现在起|從現在起|从现在开始|今後は|これからは)[^.!?。！？\n]{0,40}(?:nur noch|ausschließlich|uniquement|seulement|solo|solamente|apenas|только|只|だけ)[^.!?。！？\n]{0,20}(?:mein|mir|mes |moi|mis |me |mie|meus|мои|мне|我|私)|(?:今後は|これからは)[^。！？\n]{0,10}私の[^。！？\n]{0,10}だけ",
        &[
            "du bist",
            "tu es",
            "ahora eres",
            "ora sei",
            "agora você",
            "теперь ты",
            "你现在是",
            "你現在是",
            "あなたは今から",
            "ab sofort",
            "von nun an",
            "à partir de maintenant",
            "désormais",
            "a partir de ahora",
            "de ahora en adelante",
            "d'ora in poi",
            "a partir de agora",
            "с этого момента",
            "отныне",
            "从现在",
            "從現在",
            "今後は",
            "これからは",
        ],
        &ROLE_HIJACK,
    ),
    // A fake system or developer instruction header in other languages.
    (
        r"(?:neue systemanweisung|systemanweisung|anweisung des entwicklers|entwickleranweisung|nouvelle instruction du système|instruction du système|instruction du développeur|nueva instrucción del sistema|instrucción del sistema|instrucción del desarrollador|новая системная инструкция|системная инструкция|инструкция разработчика|新的系统指令|系统指令|系統指令|开发者指令|開發者指令|新しいシステム指示|システム指示|開発者からの指示)\s{0,4}[:：]",
        &[
            "systemanweisung",
            "entwickler",
            "instruction du",
            "instrucción del",
            "системная инструкция",
            "инструкция разработчика",
            "系统指令",
            "系統指令",
            "开发者指令",
            "開發者指令",
            "システム指示",
            "開発者からの指示",
        ],
        &FAKE_HEADER,
    ),
    // Asking for the system prompt in other languages.
    (
        r"(?:zeig|gib|nenn|verrat|affiche|révèle|montre|donne|revela|muestra|dime|покажи|выведи|раскрой|显示|輸出|输出|告诉我|顯示|表示|出力|教えて)[^.!?。！？\n]{0,30}(?:systemprompt|system-prompt|systemanweisungen|prompt système|prompt du système|instructions système|mensaje de sistema|prompt del sistema|instrucciones del sistema|системный промпт|системные инструкции|系统提示|系統提示|システムプロンプト)|(?:systemprompt|prompt système|prompt del sistema|mensaje de sistema|системный промпт|系统提示|系統提示|システムプロンプト)[^.!?。！？\n]{0,30}(?:zeig|affiche|révèle|revela|muestra|покажи|выведи|显示|输出|顯示|表示|出力)",
        &[
            "systemprompt",
            "system-prompt",
            "systemanweisungen",
            "prompt système",
            "prompt du système",
            "instructions système",
            "mensaje de sistema",
            "prompt del sistema",
            "instrucciones del sistema",
            "системный промпт",
            "системные инструкции",
            "系统提示",
            "系統提示",
            "システムプロンプト",
        ],
        &PROMPT_LEAK,
    ),
    // "An important message for the assistant" (AgentDojo's framing) in
    // other languages.
    (
        r"(?:wichtige nachricht (?:an|für) (?:den|die) (?:assistent|ki)|message important (?:pour|à) l'(?:assistant|ia)|mensaje importante para (?:el|la) (?:asistente|ia)|messaggio importante per l'(?:assistente|ia)|важное сообщение для (?:ассистента|ии)|给助手的重要消息|給助手的重要消息|给ai的重要消息|アシスタントへの重要なメッセージ)",
        &[
            "wichtige nachricht",
            "message important",
            "mensaje importante",
            "messaggio importante",
            "важное сообщение",
            "重要消息",
            "重要なメッセージ",
        ],
        &OVERRIDE,
    ),
    // A chat role header at the start of a line or sentence.
    (
        r"(?:^|[.!?\]>}] |\n)\s{0,4}(?:system|assistant|developer)\s{0,4}:",
        &["system", "assistant", "developer"],
        &FAKE_HEADER,
    ),
    // Markdown image or link whose URL carries data out in its query.
    (
        r"!\[[^\]]{0,300}\]\(\s{0,4}https?://[^)\s]{0,2000}\?[^)\s]{0,300}=",
        &["!["],
        &EXFILTRATION,
    ),
    (
        r"\b(?:send|post|upload|exfiltrate|forward|transmit)\b[^.!?]{0,60}\b(?:to|at)\b\s{1,4}(?:https?://|[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,24})",
        &[
            "send",
            "post",
            "upload",
            "exfiltrate",
            "forward",
            "transmit",
        ],
        &EXFILTRATION,
    ),
    // Code handed over to be folded into the agent's work.
    (
        r"\b(?:integrate|incorporate|merge|fuse|meld|absorb|append|embed|weave|blend|infuse|inject|feature|enrich)\b[^.!?]{0,80}\b(?:code|snippet|excerpt|block)\b",
        &[
            "integrate",
            "incorporate",
            "merge",
            "fuse",
            "meld",
            "absorb",
            "append",
            "embed",
            "weave",
            "blend",
            "infuse",
            "inject",
            "feature",
            "enrich",
        ],
        &TOOL_COERCION,
    ),
    (
        r"\b(?:into|within|in) (?:the (?:logic|essence|core|heart|body) of )?your (?:solution|code|codebase|implementation|algorithm|program|script|project)\b",
        &["your "],
        &TOOL_COERCION,
    ),
    (
        r"\b(?:requests\.post|urlretrieve|urllib\.request|exec\(|eval\(|os\.remove|pickle\.load)",
        &[
            "requests.post",
            "urlretrieve",
            "urllib.request",
            "exec(",
            "eval(",
            "os.remove",
            "pickle.load",
        ],
        &RISKY_CODE,
    ),
    // "Stay in X Mode", "enable X mode": persona switches.
    (
        r"\b(?:stay in|enter|enable|activate|switch to)\b [a-z0-9 ]{1,30}\bmode\b",
        &["mode"],
        &JAILBREAK,
    ),
    // Shouted instructions (PromptInject "screaming stop").
    (
        r"\b(?:stop|ignore|print|say)\b[^a-z]{0,6}!{2,16}",
        &["!!"],
        &OVERRIDE,
    ),
];

/// The literals the shared pass looks for on injection's behalf: the
/// anchors, and each structure's trigger words.
pub(crate) fn gate_literals() -> impl Iterator<Item = (String, Use)> {
    let anchors = ANCHORS.iter().map(|a| (a.to_string(), Use::Anchor));
    let triggers = STRUCTURES
        .iter()
        .enumerate()
        .flat_map(|(i, (_, words, _))| words.iter().map(move |w| (w.to_string(), Use::Trigger(i))));
    anchors.chain(triggers)
}
