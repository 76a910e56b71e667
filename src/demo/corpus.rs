//! Phrases the demo generator combines into realistic Chinese and English posts.

pub const PRODUCTS: &[&str] = &[
    "Chorus 14 Pro",
    "Chorus 14",
    "Chorus Note 13",
    "Chorus Pad 6",
    "Chorus Band 9",
    "Chorus Watch S3",
    "扫地机器人 S10",
    "智能音箱 Pro",
    "ChorusOS 2",
    "相册 App",
    "钱包 App",
    "路由器 AX6000",
];

pub const ZH_TITLES: &[&str] = &[
    "{p} 续航优化技巧分享",
    "{p} 相机夜景怎么拍更好？",
    "升级 {p} 后偶尔卡顿",
    "{p} 充电时发热正常吗",
    "{p} 的投屏功能太好用了",
    "{p} 信号比上一代好很多",
    "求助：{p} 蓝牙耳机断连",
    "{p} 屏幕色彩怎么调最舒服",
    "分享我的 {p} 桌面布局",
    "{p} 游戏掉帧的解决办法",
    "{p} 指纹解锁变慢了",
    "建议 {p} 增加应用分身",
    "{p} 用了一个月的真实体验",
    "{p} 系统更新后电池掉电快",
    "{p} 拍照水印可以关闭吗",
    "{p} 闪退问题汇总",
];

pub const EN_TITLES: &[&str] = &[
    "Battery tips for the {p}",
    "How do you shoot night photos on the {p}?",
    "{p} stutters after the update",
    "Is it normal for the {p} to get warm while charging?",
    "Screen casting on the {p} is great",
    "My {p} home screen setup",
    "{p}: Bluetooth earbuds keep disconnecting",
    "Idea: dual apps on the {p}",
    "One month with the {p}",
    "Fixing frame drops in games on the {p}",
    "{p} fingerprint unlock got slower",
    "Can I turn off the photo watermark on the {p}?",
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
