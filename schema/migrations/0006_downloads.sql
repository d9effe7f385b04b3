ALTER TABLE "media_items" ADD COLUMN "downloads_requested" jsonb;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "downloads" jsonb DEFAULT '[]'::jsonb NOT NULL;