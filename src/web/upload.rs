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
