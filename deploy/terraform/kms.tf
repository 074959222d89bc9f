# One customer-managed key, rotated yearly, encrypts what the platform stores in AWS: Kubernetes
# Secrets in EKS, the RDS database and its master password, the backup bucket, container images
# and the logs.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" means this key only; the account-root statement is what lets IAM administer it
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; writes are limited to the account and to CloudWatch Logs of this account
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" means this key only (a key policy cannot name other resources)
  # The account administers the key through IAM (the usual root statement of a key policy:
  # without it nobody could ever change the key again).
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts this account's log groups with it.
  statement {
    sid = "CloudWatchLogsEncryptsTheLogGroups"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${var.name}: EKS secrets, RDS, backups, images, logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.main.key_id
}
