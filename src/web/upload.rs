//! Reading a multipart upload, shared by the attachment API and the topic page's form.

use super::errors::AppError;

/// Reads a multipart upload: the `file` part (at most 10 MB) and an optional `private` flag.
pub async fn read(
    mut payload: actix_multipart::Multipart,
) -> Result<crate::feedback::attachments::Upload, AppError> {
    use futures_util::TryStreamExt;
    let limit = crate::feedback::attachments::MAX_BYTES;
    let (mut name, mut bytes, mut private, mut seen_file) =
        (String::new(), Vec::new(), false, false);
    while let Some(mut field) = payload.try_next().await.map_err(|_| AppError::BadRequest {
        code: "bad_upload",
        message: "The upload could not be read.".into(),
    })? {
        let field_name = field.name().unwrap_or("").to_string();
        let filename = field
            .content_disposition()
            .and_then(|c| c.get_filename())
            .map(str::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|_| AppError::BadRequest {
            code: "bad_upload",
            message: "The upload could not be read.".into(),
        })? {
            if data.len() + chunk.len() > limit + 1 {
                return Err(AppError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        match field_name.as_str() {
            "file" if !seen_file => {
                seen_file = true;
                name = filename.unwrap_or_default();
                bytes = data;
            }
            "private" => {
                private = matches!(
                    std::str::from_utf8(&data).unwrap_or(""),
                    "1" | "true" | "on" | "yes"
                )
            }
            _ => {}
        }
    }
    if !seen_file {
        return Err(AppError::field("file", "is required"));
    }
    if bytes.len() > limit {
        return Err(AppError::PayloadTooLarge);
    }
    Ok(crate::feedback::attachments::Upload {
        name,
        bytes,
        private,
    })
}

/// Reads a form posted as multipart (the composer, which can carry files): its text fields
/// (each at most 64 KB, at most 40 of them) and up to `max_files` `file` parts (each at most
/// 10 MB; an empty file input is skipped), all marked private when the `private` field is set.
pub async fn read_form(
    mut payload: actix_multipart::Multipart,
    max_files: usize,
) -> Result<
    (
        std::collections::BTreeMap<String, String>,
        Vec<crate::feedback::attachments::Upload>,
    ),
    AppError,
> {
    use futures_util::TryStreamExt;
    const MAX_TEXT: usize = 64 * 1024;
    const MAX_FIELDS: usize = 40;
    let bad = || AppError::BadRequest {
        code: "bad_upload",
        message: "The form could not be read.".into(),
    };
    let mut text = std::collections::BTreeMap::new();
    let mut files = Vec::new();
    let mut parts = 0;
    while let Some(mut field) = payload.try_next().await.map_err(|_| bad())? {
        parts += 1;
        if parts > MAX_FIELDS + max_files {
            return Err(AppError::field("form", "too many fields"));
        }
        let name = field.name().unwrap_or("").to_string();
        let filename = field
            .content_disposition()
            .and_then(|c| c.get_filename())
            .map(str::to_string);
        let limit = if name == "file" {
            crate::feedback::attachments::MAX_BYTES
        } else {
            MAX_TEXT
        };
        let mut data = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(|_| bad())? {
            if data.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        if name == "file" {
            let filename = filename.unwrap_or_default();
            if filename.is_empty() && data.is_empty() {
                continue;
            }
            if files.len() == max_files {
                return Err(AppError::field(
                    "file",
                    &format!("at most {max_files} files"),
                ));
            }
            files.push(crate::feedback::attachments::Upload {
                name: filename,
                bytes: data,
                private: false,
            });
        } else {
            let value = String::from_utf8(data).map_err(|_| bad())?;
            text.insert(name, value);
        }
    }
    let private = matches!(
        text.get("private").map(String::as_str),
        Some("1" | "true" | "on" | "yes")
    );
    for f in &mut files {
        f.private = private;
    }
    Ok((text, files))
}
