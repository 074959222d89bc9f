output "region" {
  description = "AWS region of everything here."
  value       = var.region
}

output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.main.name
}

output "kubeconfig_command" {
  description = "Points kubectl at the new cluster."
  value       = "aws eks update-kubeconfig --region ${var.region} --name ${aws_eks_cluster.main.name}"
}

output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.main.id
}

output "private_subnet_ids" {
  description = "Private subnets, one per zone."
  value       = aws_subnet.private[*].id
}

output "kms_key_arn" {
  description = "The platform's KMS key."
  value       = aws_kms_key.main.arn
}

output "backup_bucket" {
  description = "S3 bucket of the backups."
  value       = aws_s3_bucket.backups.bucket
}

output "cnpg_backup_role_arn" {
  description = "IAM role of the PostgreSQL instances' service account (backups)."
  value       = aws_iam_role.cnpg_backup.arn
}

output "cnpg_backup_patch" {
  description = "deploy/k8s/postgres/backup-target.yaml for this account: terraform output -raw cnpg_backup_patch > deploy/k8s/postgres/backup-target.yaml"
  value       = <<-YAML
    # Where cargo-pg keeps its backups: written by `terraform output -raw cnpg_backup_patch`.
    apiVersion: postgresql.cnpg.io/v1
    kind: Cluster
    metadata:
      name: cargo-pg
    spec:
      serviceAccountTemplate:
        metadata:
          annotations:
            eks.amazonaws.com/role-arn: ${aws_iam_role.cnpg_backup.arn}
      backup:
        barmanObjectStore:
          destinationPath: s3://${aws_s3_bucket.backups.bucket}/cargo-pg
  YAML
}

output "ecr_repositories" {
  description = "Image repository URL per image."
  value       = { for name, repository in aws_ecr_repository.images : name => repository.repository_url }
}

output "rds_endpoint" {
  description = "host:port of RDS PostgreSQL (null without var.use_rds)."
  value       = var.use_rds ? aws_db_instance.main[0].endpoint : null
}

output "rds_master_secret_arn" {
  description = "Secrets Manager secret holding the RDS master password (null without var.use_rds)."
  value       = var.use_rds ? aws_db_instance.main[0].master_user_secret[0].secret_arn : null
}
