# Container registries, one per image (deploy/Dockerfile builds each). Tags cannot be
# overwritten, so a tag always names the same image; every push is scanned for known
# vulnerabilities.

locals {
  images = toset(["ecommerce", "delivery", "ingest", "metrics", "courier-simulator"])
}

resource "aws_ecr_repository" "images" {
  for_each = local.images

  name                 = "${var.name}/${each.key}"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecr_lifecycle_policy" "images" {
  for_each = aws_ecr_repository.images

  repository = each.value.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last 50 images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 50
      }
      action = { type = "expire" }
    }]
  })
}
