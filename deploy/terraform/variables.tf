variable "name" {
  description = "Prefix of every resource's name (cluster, bucket, roles, repositories)."
  type        = string
  default     = "cargo-express"
}

variable "region" {
  description = "AWS region. us-east-1 is the closest to Colombia with every service used here and the lowest prices; sa-east-1 (São Paulo) costs about 50 % more."
  type        = string
  default     = "us-east-1"
}

variable "availability_zones" {
  description = "The three availability zones of var.region the platform spreads over."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b", "us-east-1c"]

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "Name exactly three zones: NATS and PostgreSQL keep a majority when one is lost."
  }
}

variable "vpc_cidr" {
  description = "Address range of the VPC; split into three public and three private subnets, one of each per zone."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the three zones (cheaper; losing its zone cuts the others' outbound traffic) instead of one per zone."
  type        = bool
  default     = false
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.31"
}

variable "node_instance_type" {
  description = "Instance type of the managed node group (2 vCPU, 8 GiB by default)."
  type        = string
  default     = "m7i.large"
}

variable "node_min_size" {
  description = "Fewest nodes: one per zone."
  type        = number
  default     = 3
}

variable "node_desired_size" {
  description = "Nodes at creation; afterwards a cluster autoscaler (or you) changes the count."
  type        = number
  default     = 3
}

variable "node_max_size" {
  description = "Most nodes the group may grow to."
  type        = number
  default     = 6
}

variable "api_public_cidrs" {
  description = "Addresses allowed to reach the Kubernetes API from the Internet (e.g. your office's [\"203.0.113.10/32\"]). Empty: the API is reachable only from inside the VPC (VPN, bastion or AWS Systems Manager)."
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.api_public_cidrs, "0.0.0.0/0")
    error_message = "Do not open the Kubernetes API to the whole Internet."
  }
}

variable "use_rds" {
  description = "Create Amazon RDS for PostgreSQL (Multi-AZ) as the managed alternative to the CloudNativePG cluster in deploy/k8s/postgres. Use one or the other."
  type        = bool
  default     = false
}

variable "rds_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m6g.large"
}

variable "rds_engine_version" {
  description = "PostgreSQL major.minor for RDS."
  type        = string
  default     = "16.6"
}

variable "rds_allocated_storage_gb" {
  description = "Initial RDS storage; it grows by itself up to four times this."
  type        = number
  default     = 100
}

variable "rds_backup_retention_days" {
  description = "Days of RDS automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "backup_noncurrent_days" {
  description = "Days an overwritten or deleted object of the backup bucket is kept (the bucket is versioned)."
  type        = number
  default     = 35
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the EKS control plane and VPC flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
