//! Phrases the demo generator combines into realistic Chinese and English posts.

// Titles by kind, with {p} for the product's name: each fits any device or app, so a title
// always matches its kind and the product it is filed against.

pub const ZH_BUG: &[&str] = &[
    "{p} 升级后偶尔卡顿",
    "{p} 系统更新后耗电明显变快",
    "{p} 蓝牙连接后经常断开",
    "{p} 通知要过很久才收到",
    "{p} 设置页面部分文字显示不全",
    "{p} 偶尔无响应，只能重启",
    "{p} 打开后闪退",
    "{p} 同步数据时一直转圈",
    "{p} 语音助手唤醒不灵敏",
    "{p} 连接 Wi-Fi 后频繁掉线",
];

pub const EN_BUG: &[&str] = &[
    "{p} stutters after the update",
    "{p} drains the battery faster since the last update",
    "{p}: Bluetooth keeps disconnecting",
    "{p} notifications arrive minutes late",
    "{p} crashes on launch",
    "{p} freezes until restarted",
    "{p} settings text is cut off",
    "{p} drops Wi-Fi every few minutes",
];

pub const ZH_IDEA: &[&str] = &[
    "建议 {p} 支持深色模式",
    "希望 {p} 增加定时开关",
    "{p} 能否支持桌面小组件",
    "建议 {p} 的设置支持搜索",
    "希望 {p} 提供更细的隐私权限",
    "建议 {p} 支持自定义快捷操作",
    "希望 {p} 能导出使用数据",
];

pub const EN_IDEA: &[&str] = &[
    "Idea: a dark mode for the {p}",
    "Let us schedule the {p} to turn on and off",
    "Home screen widgets for the {p}",
    "Search in the {p} settings",
    "Finer privacy permissions on the {p}",
    "Custom shortcuts on the {p}",
];

pub const ZH_TIP: &[&str] = &[
    "{p} 省电设置分享",
    "{p} 用了一个月的真实体验",
    "{p} 几个好用的隐藏功能",
    "新手必看：{p} 上手设置",
    "{p} 和上一代比有哪些提升",
    "我的 {p} 使用习惯",
    "{p} 常见问题自查清单",
];

pub const EN_TIP: &[&str] = &[
    "Battery tips for the {p}",
    "One month with the {p}",
    "Hidden features of the {p}",
    "Setting up the {p}: a starter guide",
    "{p} versus the previous model",
    "How I use my {p} every day",
];

pub const ZH_SENTENCES: &[&str] = &[
    "我用的是最新的稳定版系统。",
    "关闭后台自启动以后续航明显变好了。",
    "打开开发者选项里的动画缩放也有帮助。",
    "夜景模式记得保持手机稳定两秒。",
    "用户反馈里很多人提到这个问题。",
    "充电时玩游戏发热是正常的，但不要太烫。",
    "信号在地铁里比以前稳定。",
    "屏幕亮度调到自动以后眼睛舒服很多。",
    "相机的专业模式可以手动调快门。",
    "更新之后偶尔会出现卡顿，重启就好了。",
    "希望下个版本能优化一下。",
    "我已经在内测群里反馈过了。",
    "电池健康度目前还是百分之九十八。",
    "蓝牙连接车机偶尔断开，不知道是不是个例。",
    "这个功能真的很实用，推荐大家试试。",
    "米粉们有没有遇到同样的情况？",
    "投屏到电视延迟很低，看视频很流畅。",
    "手环的睡眠监测比我想象的准。",
];

pub const EN_SENTENCES: &[&str] = &[
    "I am on the latest stable build.",
    "Turning off background autostart made a real difference.",
    "Hold the phone still for two seconds in night mode.",
    "Many people in the feedback threads mention this.",
    "It gets warm while gaming and charging, which seems normal.",
    "Signal on the subway is better than before.",
    "Auto brightness is much easier on the eyes.",
    "Pro mode lets you set the shutter speed by hand.",
    "After the update it stutters now and then; a restart fixes it.",
    "Hoping the next release improves this.",
    "I already reported it in the beta group.",
    "Battery health is still at 98 percent.",
    "Has anyone else seen the same thing?",
    "Casting to the TV has very low latency.",
];

pub const ZH_REPLIES: &[&str] = &[
    "同款问题，坐等官方回复。",
    "感谢分享，很有用！",
    "试了一下确实有效。",
    "我这边没有遇到，可能是个例。",
    "建议清除缓存再试试。",
    "已收藏，回头试试。",
    "楼主说得对，续航确实提升了。",
    "我也是这样设置的。",
];

pub const EN_REPLIES: &[&str] = &[
    "Same here, waiting for an official answer.",
    "Thanks for sharing, very useful!",
    "Tried it, it works.",
    "Not happening on mine, maybe a one-off.",
    "Try clearing the cache first.",
    "Saved for later.",
    "Agreed, battery life really improved.",
    "I use the same settings.",
];

pub const TAGS: &[&str] = &[
    "续航", "相机", "系统", "信号", "充电", "屏幕", "battery", "camera", "update", "游戏",
];

pub const ZH_NAMES: &[&str] = &[
    "米粉",
    "发烧友",
    "摄影控",
    "数码迷",
    "极客",
    "小米粉丝",
    "玩机达人",
    "路人",
];
pub const EN_NAMES: &[&str] = &[
    "fan", "geek", "shooter", "tester", "pixel", "gadget", "techie", "reader",
];
