ALTER TABLE "media_items" ADD COLUMN "playable_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "media_items" ADD COLUMN "playable_seconds" real;